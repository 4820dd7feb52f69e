import type { BatchAnswer, EventOutcome, OutgoingEvent } from './destination-sender';

/**
 * Sending one batch as one or more requests, for kinds whose answer covers a whole request (Sentinel, SecOps): cut to
 * the byte limit, halved after a 413, sent event by event after a request refused as invalid, stopped at a pause or
 * a retryable failure.
 */

/** What one request's answer means for every event it carried. */
export type CallVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; error: string; retryAfterMs: number | null }
  /** The data was refused as a whole: resent event by event to find the bad one(s). */
  | { kind: 'refused'; error: string }
  /** Above the endpoint's size limit: resent in halves. */
  | { kind: 'too_large'; error: string }
  | { kind: 'pause'; reason: string };

export interface CallResult {
  /** HTTP status of the last request made for this call (null when none was answered). */
  status: number | null;
  /** Time spent on this call, token requests included. */
  latencyMs: number;
  verdict: CallVerdict;
}

/** How a batch is cut into requests under an endpoint's hard byte limit, and how one request is made. */
export interface CallPlan {
  /** The endpoint in words, for summaries. */
  service: string;
  maxCallBytes: number;
  /** Bytes framing a request body around its parts, and between two parts. */
  openBytes: number;
  closeBytes: number;
  separatorBytes: number;
  /** Each event's part of a request body, in bytes, in the batch's order. */
  partBytes: readonly number[];
  /** Why an event that alone makes a request of `callBytes` is never sent. */
  tooLargeError(callBytes: number): string;
  /** Sends one request carrying these events. Never throws. */
  send(indices: readonly number[]): Promise<CallResult>;
}

/**
 * Sends a batch as one or more requests, each under the plan's byte limit. An event that alone exceeds it is
 * rejected; a request refused as a whole (one bad event spoils it) is resent event by event so only the bad ones are
 * rejected; a 413 is resent in halves. A pause stops everything (events not yet sent are `not_sent`); a transient
 * failure stops too, and events not yet sent share its retry (sending on into a throttled or failing endpoint would
 * only add load). Never throws.
 */
export async function sendBatchInCalls(
  events: readonly OutgoingEvent[],
  plan: CallPlan,
): Promise<BatchAnswer> {
  const outcomes: (EventOutcome | undefined)[] = events.map(() => undefined);
  let status: number | null = null;
  let latencyMs = 0;
  let calls = 0;
  // Set by the first answer that ends the batch: a pause, or a transient failure.
  const ended: { by: Extract<CallVerdict, { kind: 'retry' | 'pause' }> | null } = { by: null };

  const callBytes = (indices: readonly number[]): number =>
    plan.openBytes +
    plan.closeBytes +
    indices.reduce((sum, i) => sum + plan.partBytes[i], 0) +
    Math.max(0, indices.length - 1) * plan.separatorBytes;

  const settle = (indices: readonly number[], outcome: EventOutcome): void => {
    for (const i of indices) {
      outcomes[i] = outcome;
    }
  };

  const sendCall = async (indices: readonly number[]): Promise<void> => {
    const result = await plan.send(indices);
    calls += 1;
    status = result.status;
    latencyMs += result.latencyMs;
    const verdict = result.verdict;
    switch (verdict.kind) {
      case 'delivered':
        settle(indices, { kind: 'delivered' });
        return;
      case 'pause':
        ended.by = verdict;
        return;
      case 'retry':
        settle(indices, { kind: 'retry', error: verdict.error, retryAfterMs: verdict.retryAfterMs });
        ended.by = verdict;
        return;
      case 'refused':
        if (indices.length === 1) {
          settle(indices, { kind: 'rejected', error: verdict.error });
          return;
        }
        for (const i of indices) {
          await sendCall([i]);
          if (ended.by !== null) {
            return;
          }
        }
        return;
      case 'too_large': {
        if (indices.length === 1) {
          settle(indices, { kind: 'rejected', error: verdict.error });
          return;
        }
        const half = Math.ceil(indices.length / 2);
        for (const part of [indices.slice(0, half), indices.slice(half)]) {
          await sendCall(part);
          if (ended.by !== null) {
            return;
          }
        }
        return;
      }
    }
  };

  const chunks: number[][] = [];
  let chunk: number[] = [];
  events.forEach((_, i) => {
    const alone = callBytes([i]);
    if (alone > plan.maxCallBytes) {
      outcomes[i] = { kind: 'rejected', error: plan.tooLargeError(alone) };
      return;
    }
    if (chunk.length > 0 && callBytes([...chunk, i]) > plan.maxCallBytes) {
      chunks.push(chunk);
      chunk = [];
    }
    chunk.push(i);
  });
  if (chunk.length > 0) {
    chunks.push(chunk);
  }

  try {
    for (const next of chunks) {
      await sendCall(next);
      if (ended.by !== null) {
        break;
      }
    }
  } catch {
    // plan.send never throws; this keeps sendBatch's promise whatever happens.
    ended.by = { kind: 'retry', error: 'internal error while sending', retryAfterMs: null };
  }

  const halted = ended.by;
  const rest: EventOutcome =
    halted === null || halted.kind === 'pause'
      ? { kind: 'not_sent' }
      : { kind: 'retry', error: halted.error, retryAfterMs: halted.retryAfterMs };
  const final = outcomes.map((outcome) => outcome ?? rest);
  if (halted !== null && halted.kind === 'pause') {
    return { status, latencyMs, outcomes: final, pause: { reason: halted.reason }, summary: halted.reason };
  }
  return {
    status,
    latencyMs,
    outcomes: final,
    pause: null,
    summary: summarize(plan.service, final, calls, status),
  };
}

function summarize(
  service: string,
  outcomes: readonly EventOutcome[],
  calls: number,
  status: number | null,
): string {
  if (outcomes.length === 0) {
    return 'nothing sent';
  }
  const delivered = outcomes.filter((o) => o.kind === 'delivered').length;
  const rejected = outcomes.filter((o) => o.kind === 'rejected');
  const retried = outcomes.filter((o) => o.kind === 'retry');
  const requests = `${calls} request${calls === 1 ? '' : 's'}`;
  if (delivered === outcomes.length) {
    return `${service} accepted ${delivered === 1 ? 'it' : `all ${delivered} events`} (${requests}, HTTP ${status})`;
  }
  const parts = [`${delivered} of ${outcomes.length} delivered`];
  const firstRejected = rejected[0];
  if (firstRejected !== undefined) {
    parts.push(`${rejected.length} rejected (${firstRejected.error})`);
  }
  const firstRetried = retried[0];
  if (firstRetried !== undefined) {
    parts.push(`${retried.length} to retry (${firstRetried.error})`);
  }
  return `${service}: ${parts.join('; ')} in ${requests}`;
}

/** Text from an outside answer, made safe to show: one line, bounded, with no secret in it. */
export function safeText(text: string, secrets: readonly string[], max = 400): string {
  let safe = text.replace(/\s+/g, ' ').trim();
  for (const secret of secrets) {
    if (secret.length > 0) {
      safe = safe.split(secret).join('[redacted]');
    }
  }
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}
