import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LeasedWorker } from '../common/worker/leased-worker';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { IntegrationsService } from '../credentials/integrations.service';
import { runWithCallContext } from '../lacework/call-context';
import { LaceworkClient } from '../lacework/lacework.client';
import {
  LaceworkAuthError,
  LaceworkRateLimitedError,
  LaceworkRequestError,
} from '../lacework/lacework.errors';
import type { WriteBackAnswer } from '../lacework/lacework.types';
import { backoffDelayMs } from '../lacework/retry-policy';
import { MetricsService } from '../metrics/metrics.service';
import { AlertActionRepository, AttemptResult, ClaimedAction } from './alert-action.repository';

/** Ahead of every listing (0) and enrichment (1 Critical .. 6): the SOC decided, the budget goes there first. */
export const WRITEBACK_PRIORITY = -1;
const MAX_ATTEMPTS = 8;
const BACKOFF_CAP_MS = 10 * 60_000;
const CLAIM_BATCH = 4;
const ALREADY_CLOSED = /already closed/i;

/**
 * Sends stored closes and comments to Lacework: claims due actions with a lease (like every other job), one HTTP
 * attempt per claim through the Lacework client with write-back priority on the shared budget, and records each
 * attempt. 5xx, 429, timeouts and network errors are retried with backoff; any other answer ends the action.
 */
@Injectable()
export class WritebackWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WritebackWorker.name);
  private readonly leases: LeasedWorker;
  private timer: NodeJS.Timeout | null = null;
  private pumping = false;
  private pumpAgain = false;

  constructor(
    private readonly actions: AlertActionRepository,
    private readonly lacework: LaceworkClient,
    private readonly integrations: IntegrationsService,
    metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.leases = new LeasedWorker({
      worker: 'writeback',
      leaseSeconds: config.leaseSeconds,
      held: () => this.leases.keys(),
      renew: (owners) => this.actions.extendLeases(owners, config.leaseSeconds),
      release: (owners) => this.actions.release(owners),
      onRenewalFailure: (worker) => metrics.recordLeaseRenewalFailure(worker),
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.schedulerEnabled) {
      this.timer = setInterval(() => this.wake(), this.config.schedulerTickMs);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer !== null) {
      clearInterval(this.timer);
    }
    await this.leases.shutdown();
  }

  /** Starts sending due actions now (after an accept), unless the clock is off in this process. */
  wake(): void {
    if (this.config.schedulerEnabled && !this.leases.stopping) {
      void this.pump().catch((error: unknown) => this.logger.warn(`pump: ${(error as Error).message}`));
    }
  }

  /** Claims and sends every due action; a call while one pump runs makes it go round once more. */
  async pump(): Promise<void> {
    if (this.leases.stopping) {
      return;
    }
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const owner = `${this.config.workerId}:${randomUUID()}`;
        const claimed = await this.actions.claimDue(
          CLAIM_BATCH,
          owner,
          this.config.leaseSeconds,
          this.config.workerId,
        );
        if (claimed.length > 0) {
          await this.leases.track(Promise.all(claimed.map((action) => this.send(action))), owner);
          this.pumpAgain = claimed.length === CLAIM_BATCH;
        }
      } while (this.pumpAgain && !this.leases.stopping);
    } finally {
      this.pumping = false;
    }
  }

  /** Resolves when nothing is in flight in this process (tests and shutdown). */
  drain(): Promise<void> {
    return this.leases.drain();
  }

  private async send(action: ClaimedAction): Promise<void> {
    const result = await this.attempt(action);
    const owned = await this.actions.finishAttempt(action, result);
    if (!owned) {
      this.logger.warn(`write-back ${action.id}: claim lost before its answer was recorded`);
    }
  }

  private async attempt(action: ClaimedAction): Promise<AttemptResult> {
    try {
      const row = await this.integrations.find(action.integration_id);
      const connection = this.integrations.connectionFor(row);
      const answer = await runWithCallContext({ priority: WRITEBACK_PRIORITY }, () =>
        action.kind === 'close'
          ? this.lacework.closeAlert(connection, action.alert_id, {
              reason: action.reason ?? 0,
              comment: action.comment,
            })
          : this.lacework.commentAlert(connection, action.alert_id, {
              comment: action.comment ?? '',
              format: action.format === 'markdown' ? 'markdown' : 'plaintext',
            }),
      );
      return this.resultOf(action, answer);
    } catch (error) {
      return this.failureOf(action, error);
    }
  }

  private resultOf(action: ClaimedAction, answer: WriteBackAnswer): AttemptResult {
    if (answer.outcome === 'done') {
      return { state: 'done', outcome: 'done', status: answer.status, answer: answer.answer };
    }
    // An earlier attempt that was cut off may have closed it already: that close is ours.
    if (action.kind === 'close' && action.attempts > 1 && ALREADY_CLOSED.test(answer.answer ?? '')) {
      return { state: 'done', outcome: 'done', status: answer.status, answer: answer.answer };
    }
    return { state: 'failed', outcome: 'refused', status: answer.status, answer: answer.answer };
  }

  private failureOf(action: ClaimedAction, error: unknown): AttemptResult {
    const message = error instanceof Error ? error.message : String(error);
    const status =
      error instanceof LaceworkRequestError || error instanceof LaceworkAuthError ? error.status : null;
    if (error instanceof LaceworkRequestError) {
      return { state: 'failed', outcome: 'error', status, answer: message };
    }
    const outcome =
      error instanceof LaceworkRateLimitedError
        ? 'rate_limited'
        : error instanceof LaceworkAuthError
          ? 'auth_error'
          : 'unavailable';
    if (action.attempts >= MAX_ATTEMPTS) {
      return {
        state: 'failed',
        outcome,
        status,
        answer: `${message} (gave up after ${action.attempts} attempts)`,
      };
    }
    const retryAt =
      error instanceof LaceworkRateLimitedError
        ? error.retryAt
        : new Date(
            Date.now() +
              backoffDelayMs(
                action.attempts - 1,
                this.config.laceworkRetryBaseMs,
                BACKOFF_CAP_MS,
                Math.random,
              ),
          );
    return { state: 'pending', outcome, status, answer: message, retryAt };
  }
}
