import { Logger } from '@nestjs/common';
import { InFlightWork } from '../in-flight-work';
import { describeError } from '../describe-error';

/** What a worker that claims work with leases tells the shared skeleton about its leases. */
export interface LeasedWorkerOptions {
  /** Names the worker in log lines and metrics, e.g. `enrichment`. */
  worker: string;
  leaseSeconds: number;
  /** The leases this process holds now (lease tokens or row ids). */
  held: () => string[];
  /** Extends every lease in `held`. */
  renew: (held: string[]) => Promise<void>;
  /** Gives leases back at once, so another replica can take the work without waiting for them to expire. */
  release: (held: string[]) => Promise<void>;
  /** Called on every failed renewal (metrics). */
  onRenewalFailure?: (worker: string) => void;
  /** How long shutdown waits for work in flight before releasing what is left. */
  drainWithinMs?: number;
  logger?: Pick<Logger, 'warn' | 'log'>;
}

const DEFAULT_DRAIN_WITHIN_MS = 5_000;

/**
 * The part every leased worker shares: tracking work in flight, renewing its leases a few times per lease period
 * (a failure streak is logged once when it starts and once when it ends, and counted every time), a stopping flag,
 * and on shutdown a bounded drain followed by the release of whatever is still held.
 */
export class LeasedWorker {
  private readonly running = new InFlightWork();
  private readonly logger: Pick<Logger, 'warn' | 'log'>;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;

  constructor(private readonly options: LeasedWorkerOptions) {
    this.logger = options.logger ?? new Logger(`LeasedWorker:${options.worker}`);
  }

  /** True once shutdown began: start nothing new. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** Number of pieces of work in flight. */
  get size(): number {
    return this.running.size;
  }

  /** Keys (e.g. run ids) of the work in flight. */
  keys(): string[] {
    return this.running.keys();
  }

  /** Tracks `work` until it settles and makes sure its lease is renewed meanwhile; returns it. */
  track<T>(work: Promise<T>, key?: string): Promise<T> {
    this.ensureRenewal();
    return this.running.track(work, key);
  }

  /** Starts the renewal timer if it is not running yet (unref'd: it never keeps the process alive). */
  ensureRenewal(): void {
    if (this.timer !== null || this.stopped) {
      return;
    }
    this.timer = setInterval(
      () => void this.renewNow(),
      Math.max(1000, (this.options.leaseSeconds * 1000) / 3),
    );
    this.timer.unref();
  }

  /** Renews every held lease once; resolves false when that failed. Never throws. */
  async renewNow(): Promise<boolean> {
    const held = this.options.held();
    if (held.length === 0) {
      return true;
    }
    try {
      await this.options.renew(held);
    } catch (error) {
      this.failures += 1;
      this.options.onRenewalFailure?.(this.options.worker);
      if (this.failures === 1) {
        this.logger.warn(
          `${this.options.worker}: renewing ${held.length} lease(s) failed, work may be taken over when they ` +
            `expire: ${describeError(error)}`,
        );
      }
      return false;
    }
    if (this.failures > 0) {
      this.logger.log(`${this.options.worker}: lease renewal works again after ${this.failures} failure(s)`);
      this.failures = 0;
    }
    return true;
  }

  /** Resolves when nothing is in flight (tests, shutdown). */
  drain(): Promise<void> {
    return this.running.drain();
  }

  /** Stops starting work, waits a bounded time for work in flight, then releases the leases still held. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.running.drainWithin(this.options.drainWithinMs ?? DEFAULT_DRAIN_WITHIN_MS);
    const held = this.options.held();
    if (held.length === 0) {
      return;
    }
    try {
      await this.options.release(held);
    } catch (error) {
      this.logger.warn(
        `${this.options.worker}: releasing ${held.length} lease(s) on shutdown failed, they expire on their own: ` +
          describeError(error),
      );
    }
  }
}
