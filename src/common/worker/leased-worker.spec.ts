import { LeasedWorker } from './leased-worker';

function recordingLogger(): {
  warn: string[];
  log: string[];
  logger: { warn(m: string): void; log(m: string): void };
} {
  const warn: string[] = [];
  const log: string[] = [];
  return { warn, log, logger: { warn: (m: string) => warn.push(m), log: (m: string) => log.push(m) } };
}

describe('LeasedWorker', () => {
  it('logs a failing renewal once per streak, counts every failure, and says when it recovers', async () => {
    const logs = recordingLogger();
    const failures: string[] = [];
    let failing = true;
    const worker = new LeasedWorker({
      worker: 'enrichment',
      leaseSeconds: 60,
      held: () => ['token-1'],
      renew: () => (failing ? Promise.reject(new Error('connection terminated')) : Promise.resolve()),
      release: () => Promise.resolve(),
      onRenewalFailure: (name) => failures.push(name),
      logger: logs.logger,
    });
    expect(await worker.renewNow()).toBe(false);
    expect(await worker.renewNow()).toBe(false);
    expect(await worker.renewNow()).toBe(false);
    expect(failures).toEqual(['enrichment', 'enrichment', 'enrichment']);
    expect(logs.warn).toHaveLength(1);
    expect(logs.warn[0]).toContain('enrichment: renewing 1 lease(s) failed');
    expect(logs.warn[0]).toContain('Error: connection terminated');

    failing = false;
    expect(await worker.renewNow()).toBe(true);
    expect(await worker.renewNow()).toBe(true);
    expect(logs.log).toEqual(['enrichment: lease renewal works again after 3 failure(s)']);

    failing = true;
    await worker.renewNow();
    expect(logs.warn).toHaveLength(2);
    expect(failures).toHaveLength(4);
    await worker.shutdown();
  });

  it('renews nothing while nothing is held', async () => {
    let renewals = 0;
    const worker = new LeasedWorker({
      worker: 'sync',
      leaseSeconds: 60,
      held: () => [],
      renew: () => {
        renewals += 1;
        return Promise.resolve();
      },
      release: () => Promise.resolve(),
      logger: recordingLogger().logger,
    });
    expect(await worker.renewNow()).toBe(true);
    expect(renewals).toBe(0);
  });

  it('on shutdown stops, waits a bounded time for work, then releases what is still held', async () => {
    const held = new Set(['run-1', 'run-2']);
    const released: string[][] = [];
    const logs = recordingLogger();
    const worker = new LeasedWorker({
      worker: 'sync',
      leaseSeconds: 60,
      held: () => [...held],
      renew: () => Promise.resolve(),
      release: (ids) => {
        released.push(ids);
        return Promise.reject(new Error('database gone'));
      },
      drainWithinMs: 50,
      logger: logs.logger,
    });
    void worker.track(
      new Promise<void>((resolve) => setTimeout(resolve, 10)).then(() => held.delete('run-1')),
      'run-1',
    );
    let finishStuck: () => void = () => undefined;
    void worker.track(new Promise<void>((resolve) => (finishStuck = resolve)), 'run-2');
    expect(worker.keys()).toEqual(['run-1', 'run-2']);

    const started = Date.now();
    await worker.shutdown();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(worker.stopping).toBe(true);
    // run-1 ended during the drain and was not released; run-2 was still running.
    expect(released).toEqual([['run-2']]);
    expect(logs.warn[0]).toContain('releasing 1 lease(s) on shutdown failed');
    finishStuck();
    await worker.drain();
  });
});
