import { RequestDeadlineError, withRequestDeadline } from './request-deadline';

describe('withRequestDeadline', () => {
  it('returns what the request returns when it ends in time', async () => {
    await expect(withRequestDeadline(1_000, () => Promise.resolve(42))).resolves.toBe(42);
  });

  it('aborts the signal at the deadline and throws a timeout error', async () => {
    let seen: AbortSignal | undefined;
    const run = (signal: AbortSignal): Promise<never> => {
      seen = signal;
      return new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    };
    const started = Date.now();
    const error: unknown = await withRequestDeadline(50, run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestDeadlineError);
    expect((error as RequestDeadlineError).code).toBe('ETIMEDOUT');
    expect(seen?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('passes other errors through unchanged', async () => {
    const failure = new Error('refused');
    await expect(withRequestDeadline(1_000, () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
