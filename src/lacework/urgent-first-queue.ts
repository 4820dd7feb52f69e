interface Waiter {
  priority: number;
  seq: number;
  take: () => Promise<number>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Callers waiting for one key's budget in this process, served most urgent first (lower priority first, then in
 * arrival order): only the head asks for a request, so a Critical alert's calls overtake a backlog of Low ones.
 */
export class UrgentFirstQueue {
  private readonly waiters: Waiter[] = [];
  private draining = false;
  private seq = 0;

  /**
   * @param onIdle called when the last waiter has been served.
   * @param maxSleepMs longest nap before the head asks again, so a more urgent newcomer is not kept waiting long.
   */
  constructor(
    private readonly onIdle: () => void,
    private readonly maxSleepMs = 5_000,
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {}

  /**
   * Resolves once `take` granted this caller a request. `take` answers 0 when granted, else how long to wait before
   * asking again; it throws to fail this caller only.
   */
  wait(priority: number, take: () => Promise<number>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ priority, seq: this.seq++, take, resolve, reject });
      if (!this.draining) {
        void this.drain();
      }
    });
  }

  get size(): number {
    return this.waiters.length;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiters.length > 0) {
        this.waiters.sort((x, y) => x.priority - y.priority || x.seq - y.seq);
        const head = this.waiters[0];
        try {
          const waitMs = await head.take();
          if (waitMs <= 0) {
            this.waiters.shift();
            head.resolve();
          } else {
            await this.sleep(Math.min(waitMs, this.maxSleepMs));
          }
        } catch (error) {
          this.waiters.shift();
          head.reject(error);
        }
      }
    } finally {
      this.draining = false;
      this.onIdle();
    }
  }
}
