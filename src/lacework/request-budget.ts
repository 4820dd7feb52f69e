import { HOUR_MS, realSleep } from '../common/time';

/** What {@link RequestBudget.usage} reports for one integration. */
export interface RequestBudgetUsage {
  used: number;
  remaining: number;
  blockedUntil: Date | null;
}

/** Shared allowance of Lacework requests per integration (Lacework limits each key per rolling hour). */
export interface RequestBudget {
  /** Resolves when a request may be sent; never lets more than `limitPerHour` requests start in any rolling window. */
  acquire(integrationId: string, limitPerHour: number): Promise<void>;
  /** After a 429: nothing is sent for that integration before `until`. */
  blockUntil(integrationId: string, until: Date): Promise<void>;
  /** Requests started in the current window, what is left of the limit, and any active block. */
  usage(integrationId: string, limitPerHour: number): Promise<RequestBudgetUsage>;
}

export interface InMemoryRequestBudgetOptions {
  /** Length of the rolling window; one hour unless a test shortens it. */
  windowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface IntegrationBudget {
  starts: number[];
  blockedUntil: number;
  queue: Promise<void>;
}

/** Sliding log of request start times per integration, held in this process only. */
export class InMemoryRequestBudget implements RequestBudget {
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly budgets = new Map<string, IntegrationBudget>();

  constructor(options: InMemoryRequestBudgetOptions = {}) {
    this.windowMs = options.windowMs ?? HOUR_MS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    if (!(this.windowMs > 0)) {
      throw new RangeError('windowMs must be positive');
    }
  }

  /** Waits, first come first served, until the window has room and no 429 block is active, then takes a slot. */
  acquire(integrationId: string, limitPerHour: number): Promise<void> {
    const limit = Math.floor(limitPerHour);
    if (!Number.isFinite(limit) || limit < 1) {
      return Promise.reject(new RangeError('limitPerHour must be at least 1'));
    }
    const budget = this.budgetFor(integrationId);
    const turn = budget.queue.then(() => this.takeSlot(budget, limit));
    // The queue must survive a failed turn so later callers are not rejected with it.
    budget.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Extends (never shortens) the block for the integration. */
  blockUntil(integrationId: string, until: Date): Promise<void> {
    const budget = this.budgetFor(integrationId);
    budget.blockedUntil = Math.max(budget.blockedUntil, until.getTime());
    return Promise.resolve();
  }

  /** Counts the starts inside the rolling window ending now. */
  usage(integrationId: string, limitPerHour: number): Promise<RequestBudgetUsage> {
    const budget = this.budgetFor(integrationId);
    const now = this.now();
    this.prune(budget, now);
    const used = budget.starts.length;
    return Promise.resolve({
      used,
      remaining: Math.max(0, Math.floor(limitPerHour) - used),
      blockedUntil: budget.blockedUntil > now ? new Date(budget.blockedUntil) : null,
    });
  }

  private async takeSlot(budget: IntegrationBudget, limit: number): Promise<void> {
    for (;;) {
      const now = this.now();
      this.prune(budget, now);
      let waitMs = 0;
      if (budget.blockedUntil > now) {
        waitMs = budget.blockedUntil - now;
      } else if (budget.starts.length >= limit) {
        waitMs = budget.starts[budget.starts.length - limit] + this.windowMs - now;
      }
      if (waitMs <= 0) {
        // Check and record happen in one synchronous step, so concurrent callers cannot share a slot.
        budget.starts.push(now);
        return;
      }
      await this.sleep(waitMs);
    }
  }

  private prune(budget: IntegrationBudget, now: number): void {
    let expired = 0;
    while (expired < budget.starts.length && budget.starts[expired] + this.windowMs <= now) {
      expired += 1;
    }
    if (expired > 0) {
      budget.starts.splice(0, expired);
    }
  }

  private budgetFor(integrationId: string): IntegrationBudget {
    let budget = this.budgets.get(integrationId);
    if (!budget) {
      budget = { starts: [], blockedUntil: 0, queue: Promise.resolve() };
      this.budgets.set(integrationId, budget);
    }
    return budget;
  }
}
