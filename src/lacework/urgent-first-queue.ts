import { realSleep } from '../common/time';
interface Waiter<T> {
  priority: number;
  seq: number;
  payload: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What one attempt granted: a start delay for each of the first waiters offered, or how long to wait when none. */
export interface QueueGrant {
  startsInMs: number[];
  retryInMs: number;
}

/** Waiters offered to one attempt at most. */
const MAX_BATCH = 64;

/**
 * Callers waiting for one key's budget in this process, served most urgent first (lower priority first, then in
 * arrival order): only the most urgent waiters are offered to each attempt, so a Critical alert's calls overtake a
 * backlog of Low ones.
 */
export class UrgentFirstQueue<T> {
  private readonly waiters: Waiter<T>[] = [];
  private draining = false;
  private stopped = false;
  private seq = 0;

  /**
   * @param take one attempt for the given waiters, most urgent first; it throws to fail the first of them only.
   * @param onIdle called when the last waiter has been served.
   * @param maxSleepMs longest nap before asking again, so a more urgent newcomer is not kept waiting long.
   */
  constructor(
    private readonly take: (payloads: T[]) => Promise<QueueGrant>,
    private readonly onIdle: () => void,
    private readonly maxSleepMs = 5_000,
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {}

  /** Resolves when this caller's request may start. */
  wait(priority: number, payload: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ priority, seq: this.seq++, payload, resolve, reject });
      if (!this.draining) {
        void this.drain();
      }
    });
  }

  get size(): number {
    return this.waiters.length;
  }

  /** Serves nobody any more (shutdown): waiters are left waiting; their workers release their leases. */
  stop(): void {
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiters.length > 0 && !this.stopped) {
        this.waiters.sort((x, y) => x.priority - y.priority || x.seq - y.seq);
        const offered = this.waiters.slice(0, MAX_BATCH);
        try {
          const grant = await this.take(offered.map((w) => w.payload));
          if (grant.startsInMs.length === 0) {
            await this.sleep(Math.min(grant.retryInMs, this.maxSleepMs));
            continue;
          }
          const served = this.waiters.splice(0, grant.startsInMs.length);
          served.forEach((waiter, i) => this.release(waiter, grant.startsInMs[i]));
        } catch (error) {
          this.waiters.shift()?.reject(error);
        }
      }
    } finally {
      this.draining = false;
      this.onIdle();
    }
  }

  private release(waiter: Waiter<T>, delayMs: number): void {
    if (delayMs <= 0) {
      waiter.resolve();
    } else {
      void this.sleep(delayMs).then(waiter.resolve);
    }
  }
}
