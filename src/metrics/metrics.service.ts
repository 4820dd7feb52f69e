import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SEVERITY_ORDER } from '../enrichment/severity';
import { learnedRateNow } from '../lacework/key-pacing';
import { LaceworkCallEvents } from '../lacework/lacework-call.events';
import type { CallEvent } from '../lacework/lacework.types';
import { MetricsRepository } from './metrics.repository';

/** How one delivery attempt ended, as the delivery worker reports it. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'dead' | 'gone';

const PREFIX = 'connector_';
/** The workers that hold leases; each shows a renewal-failure count from the start, 0 until one fails. */
const LEASED_WORKERS = ['sync', 'enrichment', 'delivery'] as const;

/**
 * The service's Prometheus metrics, on a registry of its own (several instances can live in one process).
 * Counters of this process's events (Lacework requests, delivery attempts) are fed as they happen; backlogs, budgets
 * and run durations are read from PostgreSQL at scrape time, so they describe the whole deployment.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MetricsService.name);
  readonly registry = new Registry();

  private readonly laceworkRequests = new Counter({
    name: `${PREFIX}lacework_requests_total`,
    help: 'Lacework HTTP requests sent by this process, by integration, kind (token, list, scope) and outcome',
    labelNames: ['integration_id', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly laceworkDuration = new Histogram({
    name: `${PREFIX}lacework_request_duration_seconds`,
    help: 'Duration of Lacework HTTP requests sent by this process, by kind',
    labelNames: ['kind'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly laceworkRateLimited = new Counter({
    name: `${PREFIX}lacework_rate_limited_total`,
    help: 'Lacework answers 429 Too Many Requests received by this process, by integration',
    labelNames: ['integration_id'] as const,
    registers: [this.registry],
  });

  private readonly budgetWaits = new Counter({
    name: `${PREFIX}lacework_budget_waits_total`,
    help: 'Times this process waited for the request budget before calling Lacework, by integration',
    labelNames: ['integration_id'] as const,
    registers: [this.registry],
  });

  private readonly budgetUsed = new Gauge({
    name: `${PREFIX}lacework_budget_used`,
    help: 'Lacework requests started in the current budget window (one hour), by integration, all replicas',
    labelNames: ['integration_id'] as const,
    registers: [this.registry],
  });

  private readonly budgetLimit = new Gauge({
    name: `${PREFIX}lacework_budget_limit`,
    help: 'Lacework requests allowed per budget window, by integration',
    labelNames: ['integration_id'] as const,
    registers: [this.registry],
  });

  private readonly budgetLearnedRate = new Gauge({
    name: `${PREFIX}lacework_budget_learned_rate`,
    help: "Requests per budget window the integration's API key is paced at now (lowered after 429s), by integration",
    labelNames: ['integration_id'] as const,
    registers: [this.registry],
  });

  private readonly alertsSynced = new Counter({
    name: `${PREFIX}alerts_synced_total`,
    help: 'Alerts stored for the first time since this process started, by severity, all replicas',
    labelNames: ['severity'] as const,
    registers: [this.registry],
  });

  private readonly alertsLast24h = new Gauge({
    name: `${PREFIX}alerts_last_24h`,
    help: 'Stored alerts whose start time is in the last 24 hours, by severity',
    labelNames: ['severity'] as const,
    registers: [this.registry],
  });

  private readonly syncRunDuration = new Histogram({
    name: `${PREFIX}sync_run_duration_seconds`,
    help: 'Duration of the sync runs that finished since this process started, by trigger and status, all replicas',
    labelNames: ['trigger', 'status'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers: [this.registry],
  });

  private readonly enrichmentBacklog = new Gauge({
    name: `${PREFIX}enrichment_backlog`,
    help: 'Alert versions waiting for their scopes, by integration',
    labelNames: ['integration_id'] as const,
    registers: [this.registry],
  });

  private readonly deliveryBacklog = new Gauge({
    name: `${PREFIX}delivery_backlog`,
    help: 'Deliveries by integration and state: open (pending or failed with a retry scheduled) or dead',
    labelNames: ['integration_id', 'state'] as const,
    registers: [this.registry],
  });

  private readonly deliveries = new Counter({
    name: `${PREFIX}deliveries_total`,
    help: 'Delivery attempts made by this process, by destination and outcome (delivered, failed, dead, gone)',
    labelNames: ['destination_id', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly deliveryLatency = new Histogram({
    name: `${PREFIX}delivery_latency_seconds`,
    help: 'Time from sending a delivery to its answer, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers: [this.registry],
  });

  private readonly databaseUp = new Gauge({
    name: `${PREFIX}metrics_database_up`,
    help: '1 when the last scrape could read its figures from PostgreSQL, else 0',
    registers: [this.registry],
  });

  private readonly leaseRenewalFailures = new Counter({
    name: `${PREFIX}lease_renewal_failures_total`,
    help: 'Failed lease renewals (sync run heartbeats, enrichment and delivery lease extensions) in this process, by worker',
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });

  private unsubscribe: (() => void) | null = null;
  private alertWatermark: string | null = null;
  private runWatermark = new Date();
  private scraping: Promise<void> = Promise.resolve();

  constructor(
    private readonly figures: MetricsRepository,
    private readonly laceworkCalls: LaceworkCallEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    collectDefaultMetrics({ register: this.registry });
    for (const severity of SEVERITY_ORDER) {
      this.alertsSynced.inc({ severity }, 0);
    }
    for (const worker of LEASED_WORKERS) {
      this.leaseRenewalFailures.inc({ worker }, 0);
    }
  }

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.laceworkCalls.subscribe((event) => this.recordLaceworkCall(event));
    // Alerts stored from now on are counted; failing here only moves that start to the first scrape.
    this.alertWatermark = await this.figures.maxAlertId().catch(() => null);
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Counts one delivery attempt; the delivery worker calls it once per attempt, whatever the result. */
  recordDeliveryAttempt(destinationId: string, outcome: DeliveryOutcome, latencyMs: number): void {
    this.deliveries.inc({ destination_id: destinationId, outcome });
    this.deliveryLatency.observe({ outcome }, Math.max(0, latencyMs) / 1000);
  }

  /** Counts one failed lease renewal of a worker (the shared worker skeleton reports it). */
  recordLeaseRenewalFailure(worker: string): void {
    this.leaseRenewalFailures.inc({ worker });
  }

  /** The exposition text of every metric, with the database figures read now; one scrape at a time. */
  async render(): Promise<{ contentType: string; body: string }> {
    const scrape = this.scraping.then(() => this.readDatabaseFigures());
    this.scraping = scrape;
    await scrape;
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private recordLaceworkCall(event: CallEvent): void {
    if (event.outcome === 'budget_wait') {
      this.budgetWaits.inc({ integration_id: event.integrationId });
      return;
    }
    this.laceworkRequests.inc({
      integration_id: event.integrationId,
      kind: event.kind,
      outcome: event.outcome,
    });
    this.laceworkDuration.observe({ kind: event.kind }, Math.max(0, event.durationMs) / 1000);
    if (event.outcome === 'rate_limited') {
      this.laceworkRateLimited.inc({ integration_id: event.integrationId });
    }
  }

  private async readDatabaseFigures(): Promise<void> {
    try {
      const [integrations, last24h, runs] = await Promise.all([
        this.figures.integrationGauges(this.config.laceworkBudgetWindowMs),
        this.figures.alertsLast24hBySeverity(),
        this.figures.finishedRuns(this.runWatermark),
      ]);
      // Reset first so an integration deleted since the last scrape disappears rather than keeps its last value.
      for (const gauge of [
        this.budgetUsed,
        this.budgetLimit,
        this.budgetLearnedRate,
        this.enrichmentBacklog,
        this.deliveryBacklog,
      ]) {
        gauge.reset();
      }
      for (const i of integrations) {
        const labels = { integration_id: i.integration_id };
        this.budgetUsed.set(labels, i.budget_used);
        this.budgetLimit.set(labels, i.requests_per_hour);
        this.budgetLearnedRate.set(
          labels,
          learnedRateNow(
            { learnedPerWindow: i.key_learned_per_window, adjustedAtMs: i.key_adjusted_at_ms },
            Math.min(i.requests_per_hour, i.key_shared_cap ?? i.requests_per_hour),
            { windowMs: this.config.laceworkBudgetWindowMs, burst: this.config.laceworkBudgetBurst },
            i.db_now_ms,
          ),
        );
        this.enrichmentBacklog.set(labels, i.enrichment_pending);
        this.deliveryBacklog.set({ ...labels, state: 'open' }, i.delivery_pending);
        this.deliveryBacklog.set({ ...labels, state: 'dead' }, i.delivery_dead);
      }
      this.alertsLast24h.reset();
      for (const severity of SEVERITY_ORDER) {
        this.alertsLast24h.set({ severity }, 0);
      }
      for (const row of last24h) {
        this.alertsLast24h.set({ severity: row.severity }, row.n);
      }
      for (const run of runs.runs) {
        this.syncRunDuration.observe({ trigger: run.trigger, status: run.status }, run.seconds);
      }
      this.runWatermark = runs.upTo;
      await this.countNewAlerts();
      this.databaseUp.set(1);
    } catch (error) {
      this.databaseUp.set(0);
      this.logger.warn(`metrics: could not read figures from the database: ${(error as Error).message}`);
    }
  }

  private async countNewAlerts(): Promise<void> {
    if (this.alertWatermark === null) {
      this.alertWatermark = await this.figures.maxAlertId();
      return;
    }
    const stored = await this.figures.alertsStoredAfter(this.alertWatermark);
    for (const row of stored.counts) {
      this.alertsSynced.inc({ severity: row.severity }, row.n);
    }
    this.alertWatermark = stored.upToId;
  }
}
