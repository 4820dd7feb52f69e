/**
 * Why a destination is paused. A held pause (the endpoint is gone, or it refused our credentials or configuration)
 * is never probed: only an operator resumes it, or gives it new settings. A failing pause is probed by the breaker.
 */
export const GONE_PAUSE = 'gone';
export const REFUSED_PAUSE = 'refused';

export function isHeldPause(reason: string | null): boolean {
  return reason !== null && (reason.startsWith(GONE_PAUSE) || reason.startsWith(REFUSED_PAUSE));
}

/** `isHeldPause` of the stored `paused_reason`, in SQL (false when not paused). */
export const HELD_PAUSE_SQL = `COALESCE(paused_reason LIKE '${GONE_PAUSE}%' OR paused_reason LIKE '${REFUSED_PAUSE}%', false)`;

/** The reason stored for a destination that refused our credentials or configuration. */
export function refusedReason(words: string): string {
  return `${REFUSED_PAUSE}: ${words}; fix the settings or resume it by hand`;
}
