import { SCOPE_NAMES } from '../lacework/lacework.types';

export const HEALTH_STATES = ['ok', 'degraded', 'failing', 'paused', 'never_synced'] as const;
export type Health = (typeof HEALTH_STATES)[number];

export const DESTINATION_STATES = ['ok', 'failing', 'paused'] as const;
export type DestinationState = (typeof DESTINATION_STATES)[number];

/** This many finished runs failing in a row make an integration `failing`. */
export const FAILING_RUN_STREAK = 3;
/** The enrichment backlog is not keeping up once its oldest entry waited this long, or draining it would take as long. */
export const BACKLOG_MAX_WAIT_SECONDS = 3600;
/** Lag is tolerated up to this many poll intervals, and never flagged below the floor. */
export const LAG_POLL_INTERVALS = 3;
export const LAG_FLOOR_SECONDS = 900;
/** A destination with deliveries awaiting a retry is failing once nothing reached it for this long. */
export const DESTINATION_QUIET_MINUTES = 5;
/** Lacework calls each alert version in the enrichment queue still needs: one per scope. */
export const CALLS_PER_PENDING_VERSION = SCOPE_NAMES.length;

export interface FinishedRunFact {
  status: 'succeeded' | 'failed';
  errorClass: string | null;
  errorMessage: string | null;
}

/** What the health rules look at, for one integration. */
export interface HealthFacts {
  enabled: boolean;
  /** Set by a run that failed to authenticate, cleared by the next successful run or a new key. */
  authError: string | null;
  /** The most recent finished runs, newest first (at most {@link FAILING_RUN_STREAK}). */
  recentRuns: FinishedRunFact[];
  runInProgress: boolean;
  lastSuccessAt: Date | null;
  cursor: Date | null;
  lagSeconds: number | null;
  pollIntervalSeconds: number;
  enrichmentPending: number;
  oldestPendingSeconds: number | null;
  drainMinutes: number | null;
  incompleteLast24h: number;
  deadLast24h: number;
  deliveryPending: number;
  /** The integration's destinations; none means its deliveries wait. */
  destinations: { name: string; state: DestinationState; reason: string | null }[];
}

export interface HealthAssessment {
  health: Health;
  /** Every reason for that health, `; `-separated; null when ok. */
  reason: string | null;
}

/**
 * The health rules, in order: `paused` (disabled), `failing` (authentication error, or the last three finished runs
 * failed), `never_synced` (no run succeeded yet), `degraded` (something needs a look), `ok`.
 */
export function assessHealth(f: HealthFacts): HealthAssessment {
  if (!f.enabled) {
    return { health: 'paused', reason: 'integration disabled' };
  }
  const failing = failingReasons(f);
  if (failing.length > 0) {
    return { health: 'failing', reason: failing.join('; ') };
  }
  if (f.lastSuccessAt === null && f.cursor === null) {
    const reasons = ['no successful sync yet'];
    if (f.runInProgress) {
      reasons.push('a run is in progress');
    }
    const last = f.recentRuns[0];
    if (last !== undefined && last.status !== 'succeeded') {
      reasons.push(describeRun(last));
    }
    return { health: 'never_synced', reason: reasons.join('; ') };
  }
  const degraded = degradedReasons(f);
  if (degraded.length > 0) {
    return { health: 'degraded', reason: degraded.join('; ') };
  }
  return { health: 'ok', reason: null };
}

function failingReasons(f: HealthFacts): string[] {
  const reasons: string[] = [];
  if (f.authError !== null) {
    reasons.push(`authentication failed: ${f.authError}`);
  }
  const streak = f.recentRuns.slice(0, FAILING_RUN_STREAK);
  if (streak.length === FAILING_RUN_STREAK && streak.every((r) => r.status === 'failed')) {
    reasons.push(`last ${FAILING_RUN_STREAK} sync runs failed (${describeError(streak[0])})`);
  }
  return reasons;
}

function degradedReasons(f: HealthFacts): string[] {
  const reasons: string[] = [];
  const last = f.recentRuns[0];
  if (last !== undefined && last.status !== 'succeeded') {
    reasons.push(describeRun(last));
  }
  const lagLimit = Math.max(LAG_POLL_INTERVALS * f.pollIntervalSeconds, LAG_FLOOR_SECONDS);
  if (f.lagSeconds !== null && f.lagSeconds > lagLimit) {
    reasons.push(`sync lagging: cursor ${minutes(f.lagSeconds)} min behind`);
  }
  const waitedTooLong = (f.oldestPendingSeconds ?? 0) > BACKLOG_MAX_WAIT_SECONDS;
  const drainsTooSlowly = (f.drainMinutes ?? 0) * 60 > BACKLOG_MAX_WAIT_SECONDS;
  if (f.enrichmentPending > 0 && (waitedTooLong || drainsTooSlowly)) {
    const details = [`${plural(f.enrichmentPending, 'alert version', 'alert versions')} pending`];
    if (f.oldestPendingSeconds !== null) {
      details.push(`oldest waiting ${minutes(f.oldestPendingSeconds)} min`);
    }
    if (f.drainMinutes !== null) {
      details.push(`~${f.drainMinutes} min to drain at the request budget`);
    }
    reasons.push(`enrichment backlog growing (${details.join(', ')})`);
  }
  if (f.incompleteLast24h > 0) {
    reasons.push(`${plural(f.incompleteLast24h, 'alert', 'alerts')} incomplete in the last 24 h`);
  }
  if (f.deadLast24h > 0) {
    reasons.push(`${plural(f.deadLast24h, 'delivery', 'deliveries')} dead in the last 24 h`);
  }
  if (f.destinations.length === 0) {
    if (f.deliveryPending > 0) {
      reasons.push(
        `${plural(f.deliveryPending, 'delivery', 'deliveries')} waiting: no destination configured`,
      );
    }
  }
  for (const destination of f.destinations.filter((d) => d.state !== 'ok')) {
    const why = destination.reason === null ? '' : `: ${destination.reason}`;
    reasons.push(`destination ${destination.name} ${destination.state}${why}`);
  }
  return reasons;
}

function describeRun(run: FinishedRunFact): string {
  return `last sync run ${run.status} (${describeError(run)})`;
}

function describeError(run: FinishedRunFact): string {
  if (run.errorClass === null) {
    return 'no error recorded';
  }
  return run.errorMessage === null || run.errorMessage === ''
    ? run.errorClass
    : `${run.errorClass}: ${run.errorMessage}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function minutes(seconds: number): number {
  return Math.round(seconds / 60);
}

/** Minutes the request budget needs to work through the enrichment backlog; null while paused. */
export function projectDrainMinutes(
  pending: number,
  requestsPerHour: number,
  enabled: boolean,
  callsPerVersion: number = CALLS_PER_PENDING_VERSION,
): number | null {
  if (!enabled || requestsPerHour <= 0) {
    return null;
  }
  return Math.ceil((pending * callsPerVersion * 60) / requestsPerHour);
}

/**
 * `paused`: disabled, or stopped by its circuit breaker; `failing`: its circuit is not closed, or deliveries to it
 * wait for a retry and nothing reached it for {@link DESTINATION_QUIET_MINUTES} minutes (one rejected payload among
 * successful ones is not a failing destination).
 */
export function destinationState(d: {
  enabled: boolean;
  pausedReason: string | null;
  circuitState: string | null;
  hasFailedDeliveries: boolean;
  deliveredRecently: boolean;
}): DestinationState {
  if (!d.enabled || d.pausedReason !== null) {
    return 'paused';
  }
  if (
    (d.circuitState !== null && d.circuitState !== 'closed') ||
    (d.hasFailedDeliveries && !d.deliveredRecently)
  ) {
    return 'failing';
  }
  return 'ok';
}
