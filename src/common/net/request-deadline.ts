/** Raised when a request is still not finished (connect to last byte) at its deadline. */
export class RequestDeadlineError extends Error {
  // The code an HTTP client gives a timeout, so callers that classify errors by code read it as one.
  readonly code = 'ETIMEDOUT';

  constructor(readonly deadlineMs: number) {
    super(`request did not finish within ${deadlineMs} ms`);
    this.name = 'RequestDeadlineError';
  }
}

/**
 * Runs one outbound request under a total deadline: `run` gets a signal that aborts when `deadlineMs` has passed,
 * however the time was spent (connecting, waiting for headers, or reading a body sent one byte at a time).
 * @throws RequestDeadlineError when the deadline aborted the request; any other error of `run` unchanged.
 */
export async function withRequestDeadline<T>(
  deadlineMs: number,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new RequestDeadlineError(deadlineMs)), deadlineMs);
  try {
    return await run(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) {
      throw new RequestDeadlineError(deadlineMs);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
