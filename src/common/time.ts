export const HOUR_MS = 3_600_000;

/** Waits `ms` on the real clock; the default `sleep` of everything that can be given a test clock. */
export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
