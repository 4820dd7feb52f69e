import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Added to the priority of a backfill's calls (its listing and its scopes), so that a backfill spends only what
 * live work (write-back -1, listing 0, scopes by severity rank 1 to 6) leaves.
 */
export const BACKFILL_PRIORITY_OFFSET = 100;

/**
 * What the Lacework calls made inside `runWithCallContext` are for: the sync run they belong to, and how urgent they
 * are when the request budget is short (lower first: listing 0, then scopes by severity rank).
 */
export interface CallContext {
  runId?: string;
  priority?: number;
}

const storage = new AsyncLocalStorage<CallContext>();

export function runWithCallContext<T>(context: CallContext, work: () => Promise<T>): Promise<T> {
  return storage.run(context, work);
}

export function currentCallContext(): CallContext | undefined {
  return storage.getStore();
}
