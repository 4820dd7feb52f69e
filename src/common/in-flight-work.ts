/** The promises of work a worker has started, so shutdown can wait for them, for a bounded time. */
export class InFlightWork {
  private readonly running = new Map<Promise<unknown>, string | undefined>();

  get size(): number {
    return this.running.size;
  }

  /** Tracks `work` until it settles, under an optional key (e.g. the run it is for); returns it. */
  track<T>(work: Promise<T>, key?: string): Promise<T> {
    const tracked = work.finally(() => this.running.delete(tracked));
    this.running.set(tracked, key);
    return tracked;
  }

  /** The keys of the work still in flight. */
  keys(): string[] {
    return [...this.running.values()].filter((k): k is string => k !== undefined);
  }

  /** Resolves when nothing is in flight (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running.keys()]);
    }
  }

  /** Waits for in-flight work, but no longer than `ms`. */
  async drainWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }
}
