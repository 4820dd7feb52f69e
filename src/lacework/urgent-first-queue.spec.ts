import { UrgentFirstQueue } from './urgent-first-queue';

describe('UrgentFirstQueue', () => {
  it('offers the most urgent waiters first, in arrival order among equals', async () => {
    const offered: string[][] = [];
    let open = false;
    const queue = new UrgentFirstQueue<string>(
      (names) => {
        offered.push(names);
        return Promise.resolve(open ? { startsInMs: [0], retryInMs: 0 } : { startsInMs: [], retryInMs: 5 });
      },
      () => undefined,
    );
    const served: string[] = [];
    const waits = [
      queue.wait(4, 'low-1').then(() => served.push('low-1')),
      queue.wait(4, 'low-2').then(() => served.push('low-2')),
      queue.wait(1, 'critical').then(() => served.push('critical')),
    ];
    await new Promise((resolve) => setTimeout(resolve, 20));
    open = true;
    await Promise.all(waits);

    expect(served).toEqual(['critical', 'low-1', 'low-2']);
    expect(offered[offered.length - 1]).toEqual(['low-2']);
  });

  it('fails only the first waiter offered when an attempt throws, and keeps serving the others', async () => {
    let calls = 0;
    const queue = new UrgentFirstQueue<string>(
      () => {
        calls += 1;
        return calls === 1
          ? Promise.reject(new Error('database down'))
          : Promise.resolve({ startsInMs: [0], retryInMs: 0 });
      },
      () => undefined,
    );

    const first = queue.wait(1, 'a');
    const second = queue.wait(1, 'b');

    await expect(first).rejects.toThrow('database down');
    await expect(second).resolves.toBeUndefined();
  });

  it('releases each granted waiter at its own start', async () => {
    const queue = new UrgentFirstQueue<string>(
      () => Promise.resolve({ startsInMs: [0, 60], retryInMs: 0 }),
      () => undefined,
    );
    const began = Date.now();

    const times = await Promise.all(
      [queue.wait(1, 'a'), queue.wait(1, 'b')].map((p) => p.then(() => Date.now() - began)),
    );

    expect(times[0]).toBeLessThan(40);
    expect(times[1]).toBeGreaterThanOrEqual(55);
  });
});
