import { HOUR_MS, realSleep } from '../common/time';
import {
  type BudgetTarget,
  budgetKeyOf,
  type RequestBudget,
  type RequestBudgetUsage,
} from './request-budget';

export interface InMemoryRequestBudgetOptions {
  /** Length of the rolling window; one hour unless a test shortens it. */
  windowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface KeyLog {
  starts: number[];
  blockedUntil: number;
  queue: Promise<void>;
}

/**
 * A sliding log of request start times per key, held in this process only: never more than `requestsPerHour`
 * starts in any rolling window. For a client used without the database (tools, client tests).
 */
export class InMemoryRequestBudget implements RequestBudget {
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logs = new Map<string, KeyLog>();

  constructor(options: InMemoryRequestBudgetOptions = {}) {
    this.windowMs = options.windowMs ?? HOUR_MS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    if (!(this.windowMs > 0)) {
      throw new RangeError('windowMs must be positive');
    }
  }

  /** Waits, first come first served, until the window has room and no 429 block is active, then takes a slot. */
  acquire(target: BudgetTarget): Promise<void> {
    const limit = Math.floor(target.requestsPerHour);
    if (!Number.isFinite(limit) || limit < 1) {
      return Promise.reject(new RangeError('requestsPerHour must be at least 1'));
    }
    const log = this.logFor(target);
    const turn = log.queue.then(() => this.takeSlot(log, limit));
    // The queue must survive a failed turn so later callers are not rejected with it.
    log.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Extends (never shortens) the block for the key. */
  reportRateLimited(target: BudgetTarget, until: Date): Promise<void> {
    const log = this.logFor(target);
    log.blockedUntil = Math.max(log.blockedUntil, until.getTime());
    return Promise.resolve();
  }

  /** What is left of the limit in the rolling window ending now. */
  usage(target: BudgetTarget): Promise<RequestBudgetUsage> {
    const log = this.logFor(target);
    const now = this.now();
    this.prune(log, now);
    const limit = Math.floor(target.requestsPerHour);
    return Promise.resolve({
      remaining: Math.max(0, limit - log.starts.length),
      learnedPerWindow: limit,
      blockedUntil: log.blockedUntil > now ? new Date(log.blockedUntil) : null,
    });
  }

  private async takeSlot(log: KeyLog, limit: number): Promise<void> {
    for (;;) {
      const now = this.now();
      this.prune(log, now);
      let waitMs = 0;
      if (log.blockedUntil > now) {
        waitMs = log.blockedUntil - now;
      } else if (log.starts.length >= limit) {
        waitMs = log.starts[log.starts.length - limit] + this.windowMs - now;
      }
      if (waitMs <= 0) {
        // Check and record happen in one synchronous step, so concurrent callers cannot share a slot.
        log.starts.push(now);
        return;
      }
      await this.sleep(waitMs);
    }
  }

  private prune(log: KeyLog, now: number): void {
    let expired = 0;
    while (expired < log.starts.length && log.starts[expired] + this.windowMs <= now) {
      expired += 1;
    }
    if (expired > 0) {
      log.starts.splice(0, expired);
    }
  }

  private logFor(target: BudgetTarget): KeyLog {
    const key = budgetKeyOf(target);
    let log = this.logs.get(key);
    if (!log) {
      log = { starts: [], blockedUntil: 0, queue: Promise.resolve() };
      this.logs.set(key, log);
    }
    return log;
  }
}
