import {
  LaceworkAuthError,
  LaceworkError,
  LaceworkRateLimitedError,
  LaceworkRequestError,
  LaceworkUnavailableError,
} from '../lacework/lacework.errors';
import type { SyncErrorClass } from './sync-run.repository';

/** Sorts a failure into the classes the sync history reports; messages of our own errors carry no secret. */
export function classifySyncError(error: unknown): { errorClass: SyncErrorClass; message: string } {
  if (error instanceof LaceworkAuthError) {
    return { errorClass: 'auth', message: error.message };
  }
  if (error instanceof LaceworkRateLimitedError) {
    return { errorClass: 'rate_limit', message: error.message };
  }
  if (error instanceof LaceworkUnavailableError) {
    return { errorClass: 'upstream', message: error.message };
  }
  if (error instanceof LaceworkRequestError || error instanceof LaceworkError) {
    return { errorClass: 'bad_response', message: error.message };
  }
  // Anything else is our own fault; its text may come from a driver, so it stays generic.
  return { errorClass: 'internal', message: 'internal error while syncing; see the service log' };
}
