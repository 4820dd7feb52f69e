import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InFlightWork } from '../common/in-flight-work';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryWorker } from '../delivery/delivery.worker';
import { IntegrationsService } from '../credentials/integrations.service';
import { LaceworkClient } from '../lacework/lacework.client';
import {
  LaceworkAlertGoneError,
  LaceworkAuthError,
  LaceworkError,
  LaceworkRateLimitedError,
} from '../lacework/lacework.errors';
import { runWithCallContext } from '../lacework/call-context';
import { LaceworkConnection, SCOPE_NAMES, ScopeName } from '../lacework/lacework.types';
import { backoffDelayMs } from '../lacework/retry-policy';
import { RequestBudgetService } from '../lacework/request-budget.service';
import { AlertVersionRepository, ClaimedVersion, StoredScope } from './alert-version.repository';
import { assembleDocument, sha256 } from './document-assembler';

interface CachedIntegration {
  connection: LaceworkConnection;
  destinationId: string | null;
  loadedAt: number;
}

const CONNECTION_TTL_MS = 10_000;
const AUTH_RETRY_MS = 60_000;
const CALLS_PER_ALERT = SCOPE_NAMES.length;

/** Outcome of working on one claimed version, for tests and metrics. */
export type EnrichmentResult = 'completed' | 'incomplete' | 'gone' | 'retry' | 'lost';

/**
 * Fetches the six scopes of each claimed alert version and assembles its document. Work is claimed from
 * PostgreSQL with a lease, most severe first, at most `ENRICHMENT_CONCURRENCY` versions per integration at a time
 * in this process; a failing scope is retried with backoff and, once its attempts are spent, left `null`.
 */
@Injectable()
export class EnrichmentWorker implements OnApplicationShutdown {
  private readonly logger = new Logger(EnrichmentWorker.name);
  /** Per integration: version id -> lease token of what this process is working on. */
  private readonly inFlight = new Map<string, Map<string, { token: string; rank: number }>>();
  private readonly running = new InFlightWork();
  private readonly connections = new Map<string, CachedIntegration>();
  private readonly pumping = new Set<string>();
  private leaseTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  readonly results: Record<EnrichmentResult, number> = {
    completed: 0,
    incomplete: 0,
    gone: 0,
    retry: 0,
    lost: 0,
  };

  constructor(
    private readonly versions: AlertVersionRepository,
    private readonly lacework: LaceworkClient,
    private readonly integrations: IntegrationsService,
    private readonly budget: RequestBudgetService,
    private readonly delivery: DeliveryWorker,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Claims due work for every integration that has some, up to the concurrency limit of each. */
  async pumpAll(): Promise<void> {
    if (this.stopping) {
      return;
    }
    this.ensureLeaseTimer();
    const due = await this.versions.integrationsWithDueWork();
    await Promise.all(due.map((id) => this.pump(id)));
  }

  /** Fills the free slots of one integration with claimed versions and starts working on them. */
  async pump(integrationId: string): Promise<void> {
    if (this.stopping || this.pumping.has(integrationId)) {
      return;
    }
    this.pumping.add(integrationId);
    try {
      const busy = this.inFlight.get(integrationId) ?? new Map<string, { token: string; rank: number }>();
      this.inFlight.set(integrationId, busy);
      const free = await this.claimableNow(
        integrationId,
        [...busy.values()].map((b) => b.rank),
      );
      if (free <= 0) {
        return;
      }
      const token = `${this.config.workerId}:${randomUUID()}`;
      const claimed = await this.versions.claim(integrationId, free, token, this.config.leaseSeconds);
      for (const version of claimed) {
        busy.set(version.id, { token: version.leaseToken, rank: version.severityRank });
        const work = this.enrich(version)
          .catch((error: unknown) => {
            this.logger.error(`alert ${version.alertId} v${version.version}: ${(error as Error).message}`);
          })
          .finally(() => {
            busy.delete(version.id);
            if (!this.stopping) {
              void this.pump(integrationId).catch(() => undefined);
            }
          });
        void this.running.track(work);
      }
    } finally {
      this.pumping.delete(integrationId);
    }
  }

  /**
   * How many more versions to start now: free concurrency, but no more than the budget left can finish (six calls
   * each), so a short budget goes to whole alerts, most severe first, instead of being spread thin.
   */
  private async claimableNow(integrationId: string, inFlightRanks: number[]): Promise<number> {
    const inFlight = inFlightRanks.length;
    const free = this.config.enrichmentConcurrency - inFlight;
    if (free <= 0) {
      return 0;
    }
    const { connection } = await this.connectionFor(integrationId);
    const usage = await this.budget.usage(connection);
    const affordable = Math.floor((usage.remaining - CALLS_PER_ALERT * inFlight) / CALLS_PER_ALERT);
    if (affordable > 0) {
      return Math.min(free, affordable);
    }
    if (inFlight === 0) {
      // One version may start and wait for the budget to refill.
      return 1;
    }
    // Out of budget: only a version more severe than everything in flight may start; its calls go first.
    const top = await this.versions.mostSevereDue(integrationId);
    return top !== null && top < Math.max(...inFlightRanks) ? 1 : 0;
  }

  /** Resolves when nothing is in flight in this process (tests and shutdown). */
  drain(): Promise<void> {
    return this.running.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.leaseTimer !== null) {
      clearInterval(this.leaseTimer);
    }
    const tokens = this.heldTokens();
    await this.running.drainWithin(5_000);
    await this.versions.release(tokens).catch(() => undefined);
  }

  private ensureLeaseTimer(): void {
    if (this.leaseTimer !== null) {
      return;
    }
    this.leaseTimer = setInterval(
      () => {
        void this.versions.extendLeases(this.heldTokens(), this.config.leaseSeconds).catch(() => undefined);
      },
      Math.max(1000, (this.config.leaseSeconds * 1000) / 3),
    );
    this.leaseTimer.unref();
  }

  private heldTokens(): string[] {
    return [
      ...new Set([...this.inFlight.values()].flatMap((held) => [...held.values()].map((h) => h.token))),
    ];
  }

  private async connectionFor(integrationId: string): Promise<CachedIntegration> {
    const cached = this.connections.get(integrationId);
    if (cached && Date.now() - cached.loadedAt < CONNECTION_TTL_MS) {
      return cached;
    }
    const row = await this.integrations.find(integrationId);
    const fresh = {
      connection: this.integrations.connectionFor(row),
      destinationId: row.destinationId,
      loadedAt: Date.now(),
    };
    this.connections.set(integrationId, fresh);
    return fresh;
  }

  /** Works one claimed version as far as it can go now. */
  async enrich(claimed: ClaimedVersion): Promise<EnrichmentResult> {
    const result = await this.enrichOnce(claimed);
    this.results[result] += 1;
    return result;
  }

  private async enrichOnce(claimed: ClaimedVersion): Promise<EnrichmentResult> {
    const { connection, destinationId } = await this.connectionFor(claimed.integrationId);
    const stored = new Map<ScopeName, StoredScope>();
    if (claimed.storedScopes > 0) {
      for (const row of await this.versions.scopesOf(claimed.id)) {
        stored.set(row.scope, row);
      }
    }
    // Answers of this attempt are kept in memory and written with the document; only an interrupted attempt
    // writes them early, so a retry does not pay for them twice.
    const fresh: StoredScope[] = [];
    for (const scope of SCOPE_NAMES) {
      const previous = stored.get(scope);
      if (previous && previous.outcome !== 'retrying') {
        continue;
      }
      const attempts = (previous?.attempts ?? 0) + 1;
      try {
        const answer = await runWithCallContext({ priority: claimed.severityRank }, () =>
          this.lacework.fetchScope(connection, claimed.alertId, scope),
        );
        const row: StoredScope =
          answer.kind === 'data'
            ? { scope, outcome: 'ok', data: answer.dataJson, attempts, error: null }
            : { scope, outcome: 'empty', data: null, attempts, error: null };
        stored.set(scope, row);
        fresh.push(row);
      } catch (error) {
        const failure = this.classifyScopeError(claimed, scope, attempts, error);
        if (failure.kind === 'gave_up') {
          stored.set(scope, failure.row);
          continue;
        }
        return this.interrupt(claimed, fresh, failure);
      }
    }
    const data = Object.fromEntries(SCOPE_NAMES.map((s) => [s, stored.get(s)?.data ?? null])) as Record<
      ScopeName,
      string | null
    >;
    const failedScopes = SCOPE_NAMES.filter((s) => stored.get(s)?.outcome === 'failed');
    const document = assembleDocument(claimed.listRecord, data);
    const completed = await this.versions.complete(claimed, {
      document,
      documentHash: sha256(document),
      failedScopes,
      destinationId,
      scopes: SCOPE_NAMES.map((s) => stored.get(s) as StoredScope),
    });
    if (!completed) {
      return 'lost';
    }
    // The outbox row exists now; start sending without waiting for the next tick.
    void this.delivery.pump().catch(() => undefined);
    return failedScopes.length > 0 ? 'incomplete' : 'completed';
  }

  /** Decides what a failed scope call means for the version. */
  private classifyScopeError(
    claimed: ClaimedVersion,
    scope: ScopeName,
    attempts: number,
    error: unknown,
  ):
    | { kind: 'gone' }
    | { kind: 'later'; at: Date; row: StoredScope | null }
    | { kind: 'gave_up'; row: StoredScope } {
    if (error instanceof LaceworkAlertGoneError) {
      return { kind: 'gone' };
    }
    if (error instanceof LaceworkRateLimitedError) {
      return { kind: 'later', at: error.retryAt, row: null };
    }
    if (error instanceof LaceworkAuthError) {
      this.connections.delete(claimed.integrationId);
      return { kind: 'later', at: new Date(Date.now() + AUTH_RETRY_MS), row: null };
    }
    const message = error instanceof LaceworkError ? error.message : `internal: ${(error as Error).message}`;
    if (attempts >= this.config.scopeMaxAttempts) {
      this.logger.warn(
        `alert ${claimed.alertId} v${claimed.version}: scope ${scope} failed for good: ${message}`,
      );
      return { kind: 'gave_up', row: { scope, outcome: 'failed', data: null, attempts, error: message } };
    }
    const delay = backoffDelayMs(
      attempts - 1,
      this.config.scopeRetryBaseMs,
      this.config.scopeRetryBaseMs * 32,
      () => 0.5 + Math.random() / 2,
    );
    return {
      kind: 'later',
      at: new Date(Date.now() + delay),
      row: { scope, outcome: 'retrying', data: null, attempts, error: message },
    };
  }

  /** Stops working on a version for now: stores what this attempt learnt and puts it back in the queue. */
  private async interrupt(
    claimed: ClaimedVersion,
    fresh: StoredScope[],
    failure: { kind: 'gone' } | { kind: 'later'; at: Date; row: StoredScope | null },
  ): Promise<EnrichmentResult> {
    if (failure.kind === 'gone') {
      return (await this.versions.markGone(claimed)) ? 'gone' : 'lost';
    }
    const rows = failure.row === null ? fresh : [...fresh, failure.row];
    if (!(await this.versions.saveScopes(claimed, rows))) {
      return 'lost';
    }
    await this.versions.retryLater(claimed, failure.at);
    return 'retry';
  }
}
