import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { LeasedWorker } from '../common/worker/leased-worker';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryWorker } from '../delivery/delivery.worker';
import { IntegrationsService } from '../credentials/integrations.service';
import { LaceworkClient } from '../lacework/lacework.client';
import { MetricsService } from '../metrics/metrics.service';
import {
  LaceworkAlertGoneError,
  LaceworkAuthError,
  LaceworkError,
  LaceworkRateLimitedError,
} from '../lacework/lacework.errors';
import { BACKFILL_PRIORITY_OFFSET, runWithCallContext } from '../lacework/call-context';
import { LaceworkConnection, ScopeName, scopesFor } from '../lacework/lacework.types';
import { backoffDelayMs } from '../lacework/retry-policy';
import { RequestBudgetService } from '../lacework/request-budget.service';
import { AlertVersionRepository, ClaimedVersion, StoredScope } from './alert-version.repository';
import { AnswerBytesLimit } from './answer-bytes-limit';
import { assembleDocument, sha256 } from './document-assembler';
import { describeError } from '../common/describe-error';

interface CachedIntegration {
  connection: LaceworkConnection;
  destinationIds: string[];
  /** The scopes each of its alerts is enriched with: the six, then the extras it opted in to. */
  scopes: ScopeName[];
  loadedAt: number;
}

const CONNECTION_TTL_MS = 10_000;
const AUTH_RETRY_MS = 60_000;

/** Outcome of working on one claimed version, for tests and metrics. */
export type EnrichmentResult = 'completed' | 'incomplete' | 'gone' | 'retry' | 'failed' | 'lost';

/**
 * Fetches the six scopes of each claimed alert version and assembles its document. Work is claimed from
 * PostgreSQL with a lease, most severe first, at most `ENRICHMENT_CONCURRENCY` versions per integration and
 * `ENRICHMENT_MAX_IN_FLIGHT` in all at a time in this process; scope answers held in memory are capped by
 * `ENRICHMENT_MAX_ANSWER_BYTES_IN_FLIGHT`. A failing scope is retried with backoff and, once its attempts are spent,
 * left `null`; a version that fails outside its scopes is retried `ENRICHMENT_MAX_ATTEMPTS` times, then `failed`.
 */
@Injectable()
export class EnrichmentWorker implements OnApplicationShutdown {
  private readonly logger = new Logger(EnrichmentWorker.name);
  /** Per integration: version id -> lease token of what this process is working on. */
  private readonly inFlight = new Map<string, Map<string, { token: string; rank: number }>>();
  private readonly leases: LeasedWorker;
  private readonly answers: AnswerBytesLimit;
  private readonly connections = new Map<string, CachedIntegration>();
  /** Integrations to fill next; a request made while a pump runs is served by that pump's next round. */
  private readonly wanted = new Set<string>();
  /** Integrations that had work but no slot left under the process-wide cap; filled when any slot frees. */
  private readonly starved = new Set<string>();
  private pumping = false;
  readonly results: Record<EnrichmentResult, number> = {
    completed: 0,
    incomplete: 0,
    gone: 0,
    retry: 0,
    failed: 0,
    lost: 0,
  };

  constructor(
    private readonly versions: AlertVersionRepository,
    private readonly lacework: LaceworkClient,
    private readonly integrations: IntegrationsService,
    private readonly budget: RequestBudgetService,
    private readonly delivery: DeliveryWorker,
    metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.answers = new AnswerBytesLimit(config.enrichmentMaxAnswerBytesInFlight);
    this.leases = new LeasedWorker({
      worker: 'enrichment',
      leaseSeconds: config.leaseSeconds,
      held: () => this.heldTokens(),
      renew: (tokens) => this.versions.extendLeases(tokens, config.leaseSeconds),
      release: (tokens) => this.versions.release(tokens),
      onRenewalFailure: (worker) => metrics.recordLeaseRenewalFailure(worker),
      logger: this.logger,
    });
    // Settings changed here apply to the next alert at once; other replicas see them within CONNECTION_TTL_MS.
    this.integrations.onChange((integrationId) => this.connections.delete(integrationId));
  }

  /** Bytes of scope answers this process holds now and at most since start (benchmarks, tests). */
  answerBytes(): { held: number; peak: number } {
    return { held: this.answers.heldBytes, peak: this.answers.peakBytes };
  }

  /** Claims due work for every integration that has some, up to the concurrency limits. */
  async pumpAll(): Promise<void> {
    if (this.leases.stopping) {
      return;
    }
    this.leases.ensureRenewal();
    await this.pump(await this.versions.integrationsWithDueWork());
  }

  /**
   * Fills the free slots of the given integrations. While a pump runs, a new request is remembered and served by
   * its next round, never dropped, so a slot freed meanwhile does not wait for the next tick.
   */
  private async pump(integrationIds: string[]): Promise<void> {
    for (const id of integrationIds) {
      this.wanted.add(id);
    }
    if (this.pumping) {
      return;
    }
    this.pumping = true;
    try {
      while (this.wanted.size > 0 && !this.leases.stopping) {
        const round = [...this.wanted];
        this.wanted.clear();
        for (const id of round) {
          // One integration that cannot be filled (deleted, database hiccup) must not hold the others back.
          await this.fill(id).catch((error: unknown) =>
            this.logger.warn(`integration ${id}: could not claim enrichment work: ${describeError(error)}`),
          );
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Claims versions of one integration for its free slots and starts working on them. */
  private async fill(integrationId: string): Promise<void> {
    const busy = this.inFlight.get(integrationId) ?? new Map<string, { token: string; rank: number }>();
    this.inFlight.set(integrationId, busy);
    const processFree = this.config.enrichmentMaxInFlight - this.totalInFlight();
    if (processFree <= 0) {
      this.starved.add(integrationId);
      return;
    }
    const free = Math.min(
      processFree,
      await this.claimableNow(
        integrationId,
        [...busy.values()].map((b) => b.rank),
      ),
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
          this.logger.error(`alert ${version.alertId} v${version.version}: ${describeError(error)}`);
        })
        .finally(() => {
          busy.delete(version.id);
          if (!this.leases.stopping) {
            const next = [integrationId, ...this.starved];
            this.starved.clear();
            void this.pump(next).catch(() => undefined);
          }
        });
      void this.leases.track(work);
    }
  }

  private totalInFlight(): number {
    let total = 0;
    for (const busy of this.inFlight.values()) {
      total += busy.size;
    }
    return total;
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
    const { connection, scopes } = await this.connectionFor(integrationId);
    const usage = await this.budget.usage(connection);
    const callsPerAlert = scopes.length;
    const affordable = Math.floor((usage.remaining - callsPerAlert * inFlight) / callsPerAlert);
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
    return this.leases.drain();
  }

  onApplicationShutdown(): Promise<void> {
    return this.leases.shutdown();
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
      destinationIds: row.destinationIds,
      scopes: scopesFor(row.extraScopes),
      loadedAt: Date.now(),
    };
    this.connections.set(integrationId, fresh);
    return fresh;
  }

  /** Works one claimed version as far as it can go now. */
  async enrich(claimed: ClaimedVersion): Promise<EnrichmentResult> {
    // Every answer of this version, kept here so that an attempt that fails outside the scopes can store them.
    const stored = new Map<ScopeName, StoredScope>();
    let result: EnrichmentResult;
    try {
      result = await this.enrichOnce(claimed, stored);
    } catch (error) {
      result = await this.recordFailure(claimed, stored, error);
    } finally {
      this.answers.releaseAll(claimed.id);
    }
    this.results[result] += 1;
    return result;
  }

  private async enrichOnce(
    claimed: ClaimedVersion,
    stored: Map<ScopeName, StoredScope>,
  ): Promise<EnrichmentResult> {
    const { connection, destinationIds, scopes } = await this.connectionFor(claimed.integrationId);
    if (claimed.storedScopes > 0) {
      for (const row of await this.versions.scopesOf(claimed.id)) {
        stored.set(row.scope, row);
        this.answers.add(claimed.id, row.data?.length ?? 0);
      }
    }
    // Answers of this attempt are kept in memory and written with the document; only an interrupted attempt
    // writes them early, so a retry does not pay for them twice.
    const fresh: StoredScope[] = [];
    for (const scope of scopes) {
      const previous = stored.get(scope);
      if (previous && previous.outcome !== 'retrying') {
        continue;
      }
      const attempts = (previous?.attempts ?? 0) + 1;
      await this.answers.admit(claimed.id);
      try {
        const priority = claimed.severityRank + (claimed.backfill ? BACKFILL_PRIORITY_OFFSET : 0);
        const answer = await runWithCallContext({ priority }, () =>
          this.lacework.fetchScope(connection, claimed.alertId, scope),
        );
        const row: StoredScope =
          answer.kind === 'data'
            ? { scope, outcome: 'ok', data: answer.dataJson, attempts, error: null }
            : { scope, outcome: answer.kind, data: null, attempts, error: null };
        this.answers.add(claimed.id, row.data?.length ?? 0);
        stored.set(scope, row);
        fresh.push(row);
      } catch (error) {
        const failure = this.classifyScopeError(claimed, scope, attempts, error);
        if (failure.kind === 'gave_up') {
          stored.set(scope, failure.row);
          fresh.push(failure.row);
          continue;
        }
        return this.interrupt(claimed, fresh, failure);
      }
    }
    const data = Object.fromEntries(scopes.map((s) => [s, stored.get(s)?.data ?? null]));
    const failedScopes = scopes.filter((s) => stored.get(s)?.outcome === 'failed');
    const document = assembleDocument(claimed.listRecord, scopes, data);
    const completed = await this.versions.complete(claimed, {
      document,
      documentHash: sha256(document),
      failedScopes,
      destinationIds,
      scopes: scopes.map((s) => stored.get(s) as StoredScope),
    });
    if (!completed) {
      return 'lost';
    }
    // The outbox row exists now; start sending without waiting for the next tick.
    void this.delivery.pump().catch(() => undefined);
    return failedScopes.length > 0 ? 'incomplete' : 'completed';
  }

  /**
   * An attempt failed outside its scopes (assembling, storing, a database error): keep what it fetched, count it,
   * and retry later or, at `ENRICHMENT_MAX_ATTEMPTS`, mark the version `failed` with the reason.
   */
  private async recordFailure(
    claimed: ClaimedVersion,
    stored: Map<ScopeName, StoredScope>,
    error: unknown,
  ): Promise<EnrichmentResult> {
    const reason = describeError(error);
    const delay = backoffDelayMs(0, this.config.scopeRetryBaseMs, this.config.scopeRetryBaseMs * 32, () => 1);
    try {
      const outcome = await this.versions.recordFailure(
        claimed,
        [...stored.values()],
        reason,
        this.config.enrichmentMaxAttempts,
        new Date(Date.now() + delay),
      );
      if (outcome === 'failed') {
        this.logger.error(
          `alert ${claimed.alertId} v${claimed.version}: failed ${this.config.enrichmentMaxAttempts} time(s), ` +
            `left failed until replayed: ${reason}`,
        );
      } else if (outcome === 'retry') {
        this.logger.warn(`alert ${claimed.alertId} v${claimed.version}: attempt failed, retrying: ${reason}`);
      }
      return outcome;
    } catch (recordError) {
      // The database itself is failing: the lease expires and the version is claimed again with its answers lost.
      this.logger.error(
        `alert ${claimed.alertId} v${claimed.version}: ${reason}; recording the failure failed too: ` +
          describeError(recordError),
      );
      return 'lost';
    }
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
