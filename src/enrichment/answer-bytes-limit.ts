/**
 * Caps the bytes of Lacework scope answers held in memory by this process, across all alerts in flight. A holder
 * (one alert version) waits before its next scope call while the total is at the cap, except the holder admitted
 * first: it may always go on, so the alerts that hold memory can finish and give it back.
 */
export class AnswerBytesLimit {
  /** Holder -> bytes held; insertion order is admission order. */
  private readonly held = new Map<string, number>();
  private total = 0;
  private peak = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly maxBytes: number) {}

  /** Bytes held now. */
  get heldBytes(): number {
    return this.total;
  }

  /** The most bytes held at once since start. */
  get peakBytes(): number {
    return this.peak;
  }

  /** Resolves when `holder` may fetch another answer. */
  async admit(holder: string): Promise<void> {
    while (!this.mayFetch(holder)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (!this.held.has(holder)) {
      this.held.set(holder, 0);
    }
  }

  /** Counts an answer `holder` now keeps. */
  add(holder: string, bytes: number): void {
    this.held.set(holder, (this.held.get(holder) ?? 0) + bytes);
    this.total += bytes;
    this.peak = Math.max(this.peak, this.total);
  }

  /** `holder` keeps nothing any more (its document is written or its attempt ended). */
  releaseAll(holder: string): void {
    const bytes = this.held.get(holder);
    if (bytes === undefined) {
      return;
    }
    this.held.delete(holder);
    this.total -= bytes;
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) {
      wake();
    }
  }

  private mayFetch(holder: string): boolean {
    if (this.total < this.maxBytes) {
      return true;
    }
    const first = this.held.keys().next();
    return !first.done && first.value === holder;
  }
}
