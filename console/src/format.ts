/** Local date and time, e.g. "30 Nov 2026, 14:03:07". */
export function localTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) {
    return '—';
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
}

/** "4 min", "2 h 5 min", "3 d". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '—';
  }
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    return `${Math.round(s / 60)} min`;
  }
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.round((s % 3600) / 60);
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }
  return `${Math.round(s / 86400)} d`;
}

/** "5 min ago" from an ISO time, measured on `nowMs`. */
export function age(iso: string | null | undefined, nowMs = Date.now()): string {
  if (iso === null || iso === undefined) {
    return '—';
  }
  const seconds = (nowMs - new Date(iso).getTime()) / 1000;
  return seconds < 0 ? `in ${duration(-seconds)}` : `${duration(seconds)} ago`;
}

/** Local time followed by its age: "30 Nov 2026, 14:03 (5 min ago)". */
export function timeAndAge(iso: string | null | undefined): string {
  return iso === null || iso === undefined ? '—' : `${localTime(iso)} (${age(iso)})`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString();
}

export function percent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined
    ? '—'
    : `${(ratio * 100).toFixed(ratio >= 0.999 || ratio === 0 ? 0 : 1)} %`;
}

/** A value of `<input type="datetime-local">` as an RFC 3339 UTC instant. */
export function fromLocalInput(value: string): string | undefined {
  if (value === '') {
    return undefined;
  }
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
