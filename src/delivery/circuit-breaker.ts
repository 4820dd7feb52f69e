/** A circuit breaker per destination, as plain data so it can be stored and replayed. */
export interface CircuitBreakerState {
  state: 'closed' | 'open' | 'half_open';
  /** When the circuit opened; while half open, when the probe was let out. Null while closed. */
  openedAtMs: number | null;
  /** Results seen while closed, oldest first, pruned to the window and to `maxRecent` entries. */
  recent: { atMs: number; ok: boolean }[];
}

/** How the breaker is tuned. */
export interface CircuitBreakerOptions {
  /** Results older than this no longer count. Default 5 min. */
  windowMs?: number;
  /** Fewest results in the window before the breaker may open. Default 10. */
  minRequests?: number;
  /** Share of failures in the window that opens the breaker. Default 0.8. */
  failureRatio?: number;
  /** How long an open breaker waits before letting one probe through. Default 60 s. */
  probeAfterMs?: number;
  /** Most results kept in `recent`. Default 100, never fewer than `minRequests`. */
  maxRecent?: number;
}

/** What a caller may do towards a destination right now. */
export type AttemptPermission = 'yes' | 'probe' | 'no';

export const DEFAULT_CIRCUIT_BREAKER_OPTIONS: Readonly<Required<CircuitBreakerOptions>> = Object.freeze({
  windowMs: 5 * 60_000,
  minRequests: 10,
  failureRatio: 0.8,
  probeAfterMs: 60_000,
  maxRecent: 100,
});

/** A closed breaker with no history. */
export function closedCircuit(): CircuitBreakerState {
  return { state: 'closed', openedAtMs: null, recent: [] };
}

/**
 * Records the result of one request and returns the new breaker.
 *
 * While closed, the result joins the window; the breaker opens once the window holds at least `minRequests`
 * results of which at least `failureRatio` failed. While open or half open, the result is taken as the probe's:
 * a success closes the breaker, a failure opens it again from `nowMs`.
 */
export function recordResult(
  s: CircuitBreakerState,
  ok: boolean,
  nowMs: number,
  opts: CircuitBreakerOptions = {},
): CircuitBreakerState {
  const o = resolveOptions(opts);
  if (s.state !== 'closed') {
    return ok ? closedCircuit() : openCircuit(s, nowMs);
  }
  const recent = [...s.recent, { atMs: nowMs, ok }]
    .filter((r) => r.atMs > nowMs - o.windowMs)
    .slice(-Math.max(o.maxRecent, o.minRequests));
  const failures = recent.filter((r) => !r.ok).length;
  if (recent.length >= o.minRequests && failures / recent.length >= o.failureRatio) {
    return openCircuit(s, nowMs);
  }
  return { state: 'closed', openedAtMs: null, recent };
}

/** Opens the breaker at once, e.g. after a 410 Gone; history is dropped. */
export function openCircuit(_s: CircuitBreakerState, nowMs: number): CircuitBreakerState {
  return { state: 'open', openedAtMs: nowMs, recent: [] };
}

/**
 * Marks that a probe was let out, so that concurrent callers see `'no'` until it reports back
 * (or until `probeAfterMs` passes, in case its result was lost).
 */
export function beginProbe(s: CircuitBreakerState, nowMs: number): CircuitBreakerState {
  if (s.state === 'closed') {
    return s;
  }
  return { state: 'half_open', openedAtMs: nowMs, recent: [] };
}

/**
 * Whether a request may go out: `'yes'` while closed; `'probe'` (one request, whose result decides) once an open
 * breaker has waited `probeAfterMs`, or a probe has been out that long; `'no'` otherwise.
 */
export function mayAttempt(
  s: CircuitBreakerState,
  nowMs: number,
  opts: CircuitBreakerOptions = {},
): AttemptPermission {
  if (s.state === 'closed') {
    return 'yes';
  }
  const { probeAfterMs } = resolveOptions(opts);
  const since = s.openedAtMs ?? Number.NEGATIVE_INFINITY;
  return nowMs - since >= probeAfterMs ? 'probe' : 'no';
}

function resolveOptions(opts: CircuitBreakerOptions): Required<CircuitBreakerOptions> {
  const d = DEFAULT_CIRCUIT_BREAKER_OPTIONS;
  const o: Required<CircuitBreakerOptions> = {
    windowMs: opts.windowMs ?? d.windowMs,
    minRequests: opts.minRequests ?? d.minRequests,
    failureRatio: opts.failureRatio ?? d.failureRatio,
    probeAfterMs: opts.probeAfterMs ?? d.probeAfterMs,
    maxRecent: opts.maxRecent ?? d.maxRecent,
  };
  if (!(o.windowMs > 0) || !(o.probeAfterMs >= 0)) {
    throw new RangeError('circuit breaker windowMs must be positive and probeAfterMs non-negative');
  }
  if (
    !Number.isInteger(o.minRequests) ||
    o.minRequests < 1 ||
    !Number.isInteger(o.maxRecent) ||
    o.maxRecent < 1
  ) {
    throw new RangeError('circuit breaker minRequests and maxRecent must be positive integers');
  }
  if (!(o.failureRatio > 0 && o.failureRatio <= 1)) {
    throw new RangeError(`circuit breaker failureRatio must be in (0, 1], got ${o.failureRatio}`);
  }
  return o;
}
