import { HOUR_MS } from '../common/time';

/** Lacework refuses a listing window longer than this. */
export const MAX_CHUNK_MS = 7 * 24 * HOUR_MS;
/** How far back Lacework keeps alerts (about 90 days). */
export const HISTORY_MS = 90 * 24 * HOUR_MS;

export interface TimeWindow {
  start: Date;
  end: Date;
}

export interface WindowInput {
  now: Date;
  cursor: Date | null;
  lastRelistAt: Date | null;
  initialLookbackHours: number;
  overlapMinutes: number;
  relistMinutes: number;
}

export interface PlannedWindow extends TimeWindow {
  /** True when this run re-lists the last 7 days to catch status and severity changes. */
  relist: boolean;
}

/**
 * The window a scheduled or manual run lists. First run: the initial lookback. Later runs: from the cursor minus an
 * overlap (alerts show up after their hour has passed) to now. Every `relistMinutes`, the whole last 7 days instead,
 * because a status change does not move an alert's start time.
 */
export function planWindow(input: WindowInput): PlannedWindow {
  const nowMs = input.now.getTime();
  const relistStart = nowMs - MAX_CHUNK_MS + 60_000;
  if (input.cursor === null) {
    const start = nowMs - input.initialLookbackHours * HOUR_MS;
    return { start: new Date(start), end: input.now, relist: false };
  }
  const relistDue =
    input.lastRelistAt === null || nowMs - input.lastRelistAt.getTime() >= input.relistMinutes * 60_000;
  // Never an empty window, even with no overlap and a cursor at now: Lacework needs a start before the end.
  const fromCursor = Math.min(
    Math.min(input.cursor.getTime(), nowMs) - input.overlapMinutes * 60_000,
    nowMs - 60_000,
  );
  if (relistDue) {
    return { start: new Date(Math.min(relistStart, fromCursor)), end: input.now, relist: true };
  }
  return { start: new Date(fromCursor), end: input.now, relist: false };
}

/**
 * The oldest start time a run takes in as a new alert: for live runs the integration's start (its creation minus the
 * initial lookback), for a backfill the start of its range. Older alerts a window overlaps (the 7-day re-list, the
 * overlap before the cursor) are only checked for changes of alerts already stored.
 */
export function intakeHorizon(
  run: { backfill: boolean; windowStart: Date },
  integration: { createdAt: Date; initialLookbackHours: number },
): Date {
  if (run.backfill) {
    return run.windowStart;
  }
  return new Date(integration.createdAt.getTime() - integration.initialLookbackHours * HOUR_MS);
}

/** Splits a window into consecutive chunks Lacework accepts, oldest first; together they cover it exactly. */
export function splitWindow(window: TimeWindow, maxChunkMs = MAX_CHUNK_MS): TimeWindow[] {
  const chunks: TimeWindow[] = [];
  const endMs = window.end.getTime();
  for (let start = window.start.getTime(); start < endMs; start += maxChunkMs) {
    chunks.push({ start: new Date(start), end: new Date(Math.min(start + maxChunkMs, endMs)) });
  }
  return chunks;
}

/** Checks a backfill range: ordered, not in the future, within Lacework's history. Returns a problem or null. */
export function backfillProblem(
  since: Date,
  until: Date,
  now: Date,
): { field: string; reason: string } | null {
  if (Number.isNaN(since.getTime())) {
    return { field: 'since', reason: 'must be an RFC 3339 date-time' };
  }
  if (Number.isNaN(until.getTime())) {
    return { field: 'until', reason: 'must be an RFC 3339 date-time' };
  }
  if (until.getTime() > now.getTime() + 60_000) {
    return { field: 'until', reason: 'must not be in the future' };
  }
  if (since.getTime() >= until.getTime()) {
    return { field: 'since', reason: 'must be before until' };
  }
  if (since.getTime() < now.getTime() - HISTORY_MS) {
    return { field: 'since', reason: 'Lacework keeps about 90 days of alerts; since must be within them' };
  }
  return null;
}
