import { scopesFor } from '../lacework/lacework.types';
import { Inject, Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/domain.errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SEVERITY_ORDER } from '../enrichment/severity';
import { adviceFor } from './error-advice';
import { learnedRateNow, type PacingSettings } from '../lacework/key-pacing';
import {
  assessHealth,
  DESTINATION_QUIET_MINUTES,
  destinationState,
  FAILING_RUN_STREAK,
  projectDrainMinutes,
} from './integration-health';
import { DestinationStatusRow, IntegrationStatusRow, StatusRepository } from './status.repository';
import {
  DestinationStatusView,
  HealthCountsView,
  IntegrationStatusView,
  LastRunView,
  StatusTotalsView,
  StatusView,
} from './status.view';

/** A status document younger than this is served as is. */
export const STATUS_FRESH_MS = 1_000;
/** Up to this age it is still served while a newer one is read in the background. */
export const STATUS_STALE_MS = 10_000;

/** How old the figures of {@link StatusService.overview} may be. */
export type StatusFreshness = 'cached' | 'recent' | 'now';

interface CachedStatus {
  view: StatusView;
  readAtMs: number;
}

/**
 * The dashboard's read model: every integration's health, lag, backlog and budget, and every destination's state.
 * The whole document is read at most once a second however many dashboards poll it (see {@link overview}).
 */
@Injectable()
export class StatusService {
  private cached: CachedStatus | null = null;
  private refreshing: Promise<StatusView> | null = null;

  constructor(
    private readonly status: StatusRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The status of everything. `cached`: a copy read less than {@link STATUS_FRESH_MS} ago as is, one up to
   * {@link STATUS_STALE_MS} old while one reader refreshes it. `recent`: never the stale copy, but still at most one
   * read a second, shared by every caller (what a viewer's `no-cache` gets). `now`: a read of its own.
   */
  async overview(freshness: StatusFreshness = 'cached', nowMs = Date.now()): Promise<StatusView> {
    if (freshness === 'now') {
      return this.read(nowMs);
    }
    const cached = this.cached;
    if (cached !== null) {
      const age = nowMs - cached.readAtMs;
      if (age < STATUS_FRESH_MS) {
        return cached.view;
      }
      if (freshness === 'cached' && age < STATUS_STALE_MS) {
        void this.refresh(nowMs).catch(() => undefined);
        return cached.view;
      }
    }
    return this.refresh(nowMs);
  }

  /** One integration, read now; NotFoundError when it does not exist or was deleted. */
  async integration(id: string): Promise<IntegrationStatusView> {
    const [row] = await this.status.integrationStatus(
      id,
      this.config.laceworkBudgetWindowMs,
      FAILING_RUN_STREAK,
    );
    if (row === undefined) {
      throw new NotFoundError(`integration ${id} not found`);
    }
    const destinations =
      row.destination_ids.length === 0
        ? []
        : await this.status.destinationStatus(row.destination_ids, DESTINATION_QUIET_MINUTES);
    return integrationView(row, new Map(destinations.map((d) => [d.id, destinationView(d)])), this.pacing());
  }

  private pacing(): PacingSettings {
    return { windowMs: this.config.laceworkBudgetWindowMs, burst: this.config.laceworkBudgetBurst };
  }

  private refresh(nowMs: number): Promise<StatusView> {
    if (this.refreshing === null) {
      this.refreshing = this.read(nowMs).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** Reads the figures; the copy is stamped with the caller's clock, the one its age is later measured on. */
  private async read(startedAtMs: number): Promise<StatusView> {
    const [rows, destinationRows] = await Promise.all([
      this.status.integrationStatus(null, this.config.laceworkBudgetWindowMs, FAILING_RUN_STREAK),
      this.status.destinationStatus(null, DESTINATION_QUIET_MINUTES),
    ]);
    const destinations = destinationRows.map(destinationView);
    const byId = new Map(destinations.map((d) => [d.id, d]));
    const pacing = this.pacing();
    const integrations = rows.map((row) => integrationView(row, byId, pacing));
    const view: StatusView = {
      generatedAt: (rows[0]?.db_now ?? new Date()).toISOString(),
      totals: totalsOf(integrations, destinations),
      integrations,
      destinations,
    };
    if (this.cached === null || this.cached.readAtMs <= startedAtMs) {
      this.cached = { view, readAtMs: startedAtMs };
    }
    return view;
  }
}

function destinationView(d: DestinationStatusRow): DestinationStatusView {
  return {
    id: d.id,
    name: d.name,
    state: destinationState({
      enabled: d.enabled,
      pausedReason: d.paused_reason,
      circuitState: d.circuit_state,
      hasFailedDeliveries: d.has_failed_deliveries,
      deliveredRecently: d.delivered_recently,
    }),
    reason: d.paused_reason ?? (d.enabled ? null : 'disabled'),
    lastSuccessAt: d.last_success_at?.toISOString() ?? null,
    lastError: d.last_error,
    successRate24h: d.attempts_24h === 0 ? null : d.succeeded_24h / d.attempts_24h,
    attempts24h: d.attempts_24h,
    oldestUndeliveredAt: d.oldest_undelivered_at?.toISOString() ?? null,
    dead: d.dead,
  };
}

function integrationView(
  row: IntegrationStatusRow,
  destinations: Map<string, DestinationStatusView>,
  pacing: PacingSettings,
): IntegrationStatusView {
  const nowMs = row.db_now.getTime();
  const learnedPerHour = learnedRateNow(
    { learnedPerWindow: row.key_learned_per_window, adjustedAtMs: row.key_adjusted_at_ms },
    Math.min(row.requests_per_hour, row.key_shared_cap ?? row.requests_per_hour),
    pacing,
    nowMs,
  );
  const secondsSince = (at: Date | null): number | null =>
    at === null ? null : Math.max(0, Math.round((nowMs - at.getTime()) / 1000));
  const drainMinutes = projectDrainMinutes(
    row.enrichment_pending,
    learnedPerHour,
    row.enabled,
    scopesFor(row.extra_scopes).length,
  );
  const lagSeconds = secondsSince(row.sync_cursor);
  const { health, reason } = assessHealth({
    enabled: row.enabled,
    authError: row.last_auth_error,
    recentRuns: row.recent_runs,
    runInProgress: row.run_status === 'running',
    lastSuccessAt: row.last_success_at,
    cursor: row.sync_cursor,
    lagSeconds,
    pollIntervalSeconds: row.poll_interval_seconds,
    enrichmentPending: row.enrichment_pending,
    oldestPendingSeconds: secondsSince(row.oldest_pending_at),
    drainMinutes,
    incompleteLast24h: row.incomplete_last_24h,
    deadLast24h: row.dead_last_24h,
    deliveryPending: row.delivery_pending,
    destinations: row.destination_ids
      .map((id) => destinations.get(id))
      .filter((d): d is DestinationStatusView => d !== undefined)
      .map((d) => ({ name: d.name, state: d.state, reason: d.reason })),
  });
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    health,
    healthReason: reason,
    advice: adviceFor(
      row.last_auth_error,
      row.run_status === null ? null : { status: row.run_status, errorClass: row.run_error_class },
    ),
    lastRun: lastRunOf(row),
    lastSuccessAt: row.last_success_at?.toISOString() ?? null,
    cursor: row.sync_cursor?.toISOString() ?? null,
    lagSeconds,
    lastHintAt: row.last_hint_at?.toISOString() ?? null,
    lastHintAgeSeconds: secondsSince(row.last_hint_at),
    backlog: {
      enrichmentPending: row.enrichment_pending,
      enrichmentFailed: row.enrichment_failed,
      incomplete: row.incomplete,
      deliveryPending: row.delivery_pending,
      deliveryDead: row.delivery_dead,
    },
    alertsLast24h: withEverySeverity(row.alerts_last_24h),
    budget: {
      requestsPerHour: row.requests_per_hour,
      learnedRequestsPerHour: Math.round(learnedPerHour * 10) / 10,
      usedLastHour: row.budget_used,
      rateLimitedLastHour: row.rate_limited,
      projectedBacklogDrainMinutes: drainMinutes,
    },
  };
}

function lastRunOf(row: IntegrationStatusRow): LastRunView | null {
  if (
    row.run_id === null ||
    row.run_trigger === null ||
    row.run_status === null ||
    row.run_started_at === null
  ) {
    return null;
  }
  const finishedAt = row.run_finished_at;
  return {
    id: row.run_id,
    trigger: row.run_trigger,
    status: row.run_status,
    startedAt: row.run_started_at.toISOString(),
    finishedAt: finishedAt?.toISOString() ?? null,
    durationSeconds:
      finishedAt === null ? null : Math.max(0, (finishedAt.getTime() - row.run_started_at.getTime()) / 1000),
    alertsListed: row.run_alerts_listed ?? 0,
    alertsNew: row.run_alerts_new ?? 0,
    alertsChanged: row.run_alerts_changed ?? 0,
    rateLimited: row.run_rate_limited ?? 0,
    error:
      row.run_error_class === null
        ? null
        : { class: row.run_error_class, message: row.run_error_message ?? '' },
  };
}

function withEverySeverity(counts: Record<string, number>): Record<string, number> {
  const all: Record<string, number> = {};
  for (const severity of SEVERITY_ORDER) {
    all[severity] = 0;
  }
  return Object.assign(all, counts);
}

function totalsOf(
  integrations: IntegrationStatusView[],
  destinations: DestinationStatusView[],
): StatusTotalsView {
  const health: HealthCountsView = { ok: 0, degraded: 0, failing: 0, paused: 0, never_synced: 0 };
  const totals: StatusTotalsView = {
    integrations: integrations.length,
    health,
    destinations: destinations.length,
    destinationsNotOk: destinations.filter((d) => d.state !== 'ok').length,
    alertsLast24h: withEverySeverity({}),
    enrichmentPending: 0,
    enrichmentFailed: 0,
    incomplete: 0,
    deliveryPending: 0,
    deliveryDead: 0,
    requestsLastHour: 0,
    rateLimitedLastHour: 0,
  };
  for (const i of integrations) {
    health[i.health] += 1;
    for (const [severity, n] of Object.entries(i.alertsLast24h)) {
      totals.alertsLast24h[severity] = (totals.alertsLast24h[severity] ?? 0) + n;
    }
    totals.enrichmentPending += i.backlog.enrichmentPending;
    totals.enrichmentFailed += i.backlog.enrichmentFailed;
    totals.incomplete += i.backlog.incomplete;
    totals.deliveryPending += i.backlog.deliveryPending;
    totals.deliveryDead += i.backlog.deliveryDead;
    totals.requestsLastHour += i.budget.usedLastHour;
    totals.rateLimitedLastHour += i.budget.rateLimitedLastHour;
  }
  return totals;
}
