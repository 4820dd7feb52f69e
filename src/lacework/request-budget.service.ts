import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { currentCallContext } from './call-context';
import {
  afterRateLimit,
  currentRate,
  initialPacingState,
  type KeyPacingState,
  type PacingSettings,
  startableWithin,
  takeRequests,
} from './key-pacing';
import {
  type BudgetTarget,
  budgetKeyOf,
  type RequestBudget,
  type RequestBudgetUsage,
} from './request-budget';
import { type KeyBudgetSnapshot, RequestBudgetRepository } from './request-budget.repository';
import { type QueueGrant, UrgentFirstQueue } from './urgent-first-queue';

/**
 * `usage().remaining` counts what the key can start within this share of the window (ten minutes in production):
 * enough to keep the claimed alerts busy, while waiters are served most urgent first whatever was claimed.
 */
const USAGE_HORIZON_SHARE = 1 / 6;
/** Requests whose paced start is this close are granted in the same round trip and released on time. */
const GRANT_LOOKAHEAD_MS = 200;
/**
 * Above this many requests a second (far above any Lacework key; benchmarks and scaled tests only), one round trip
 * per request would be the limit: starts within the lookahead are then also reserved ahead for callers yet to come
 * (at most this many), each usable up to the lookahead late.
 */
const PREPAY_ABOVE_PER_SECOND = 50;
const PREPAY_MAX = 32;

/** A start reserved ahead for a caller yet to come, on this process's clock. */
interface PrepaidStart {
  atMs: number;
  usableUntilMs: number;
}

/**
 * The request budget every replica shares through PostgreSQL, one per (organization host, key ID): requests are
 * paced one by one at the key's learned rate ({@link takeRequest}), 429s lower that rate ({@link afterRateLimit}),
 * and this process's waiters on a key are served most urgent first.
 */
@Injectable()
export class RequestBudgetService implements RequestBudget, OnApplicationShutdown {
  private readonly settings: PacingSettings;
  /** Every pause this process is taking for the budget, so that shutdown can end them all. */
  private readonly pauses = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly queues = new Map<string, UrgentFirstQueue<BudgetTarget>>();
  /** Per integration, the key and rate last recorded, so membership is written only when it changes. */
  private readonly memberships = new Map<string, string>();
  private readonly prepaid = new Map<string, PrepaidStart[]>();

  constructor(
    private readonly repository: RequestBudgetRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.settings = { windowMs: config.laceworkBudgetWindowMs, burst: config.laceworkBudgetBurst };
  }

  /**
   * Resolves when a request may be sent. Waiters on one key are served most urgent first (the call context's
   * priority: listing before scopes, scopes by severity), so a Critical alert does not queue behind Low ones.
   */
  async acquire(target: BudgetTarget): Promise<void> {
    const limit = Math.floor(target.requestsPerHour);
    if (!Number.isFinite(limit) || limit < 1) {
      throw new RangeError('requestsPerHour must be at least 1');
    }
    const key = budgetKeyOf(target);
    await this.joinKey(target, key);
    const start = this.takePrepaid(key);
    if (start !== null) {
      await this.pause(start.atMs - Date.now());
      return;
    }
    let queue = this.queues.get(key);
    if (queue === undefined) {
      const created = new UrgentFirstQueue<BudgetTarget>(
        (targets) => this.tryTake(key, targets),
        () => {
          if (this.queues.get(key) === created && created.size === 0) {
            this.queues.delete(key);
          }
        },
        undefined,
        (ms) => this.pause(ms),
      );
      this.queues.set(key, created);
      queue = created;
    }
    await queue.wait(currentCallContext()?.priority ?? 0, target);
  }

  /** Blocks the key until `until` and halves its rate (once per episode of 429s). */
  async reportRateLimited(target: BudgetTarget, until: Date): Promise<void> {
    const key = budgetKeyOf(target);
    this.prepaid.delete(key);
    await this.joinKey(target, key);
    await this.repository.stepKey(key, (snapshot) => {
      const cap = this.capOf(target, snapshot);
      const state = afterRateLimit(
        this.stateOf(snapshot, cap),
        cap,
        this.settings,
        snapshot.nowMs,
        until.getTime(),
      );
      return { state, grants: [], result: undefined };
    });
  }

  /** What the key can start in the next few minutes, its learned rate, and any active block. */
  async usage(target: BudgetTarget): Promise<RequestBudgetUsage> {
    const snapshot = await this.repository.readKey(budgetKeyOf(target));
    const cap = this.capOf(target, snapshot);
    const state = this.stateOf(snapshot, cap);
    const horizonMs = this.settings.windowMs * USAGE_HORIZON_SHARE;
    return {
      remaining: startableWithin(state, cap, this.settings, snapshot.nowMs, horizonMs),
      learnedPerWindow: currentRate(state, cap, this.settings, snapshot.nowMs),
      blockedUntil: state.blockedUntilMs > snapshot.nowMs ? new Date(state.blockedUntilMs) : null,
    };
  }

  /** Deletes request rows that no longer count for any figure. */
  prune(): Promise<number> {
    return this.repository.prune(this.settings.windowMs * 2);
  }

  /** One attempt for the most urgent waiters of a key, at the pace of the first (the cap is the key's anyway). */
  private tryTake(key: string, targets: BudgetTarget[]): Promise<QueueGrant> {
    return this.repository.stepKey(key, (snapshot) => {
      const cap = this.capOf(targets[0], snapshot);
      const state = this.stateOf(snapshot, cap);
      const perSecond =
        (currentRate(state, cap, this.settings, snapshot.nowMs) * 1000) / this.settings.windowMs;
      const extra = perSecond > PREPAY_ABOVE_PER_SECOND ? PREPAY_MAX : 0;
      const batch = takeRequests(
        state,
        cap,
        this.settings,
        snapshot.nowMs,
        targets.length + extra,
        GRANT_LOOKAHEAD_MS,
      );
      const startsInMs = batch.startsAtMs.map((atMs) => atMs - snapshot.nowMs);
      this.keepPrepaid(key, startsInMs.slice(targets.length));
      return {
        state: batch.startsAtMs.length > 0 ? batch.state : null,
        grants: batch.startsAtMs.map((atMs, i) => ({
          integrationId: targets[Math.min(i, targets.length - 1)].integrationId,
          atMs,
        })),
        result: { startsInMs: startsInMs.slice(0, targets.length), retryInMs: batch.waitMs },
      };
    });
  }

  private keepPrepaid(key: string, startsInMs: number[]): void {
    if (startsInMs.length === 0) {
      return;
    }
    const now = Date.now();
    const list = this.prepaid.get(key) ?? [];
    list.push(
      ...startsInMs.map((inMs) => ({ atMs: now + inMs, usableUntilMs: now + inMs + GRANT_LOOKAHEAD_MS })),
    );
    this.prepaid.set(key, list);
  }

  /** The earliest start reserved ahead that is still usable, if any. */
  private takePrepaid(key: string): PrepaidStart | null {
    const list = this.prepaid.get(key);
    if (list === undefined) {
      return null;
    }
    const now = Date.now();
    while (list.length > 0 && list[0].usableUntilMs < now) {
      list.shift();
    }
    const start = list.shift() ?? null;
    if (list.length === 0) {
      this.prepaid.delete(key);
    }
    return start;
  }

  private async joinKey(target: BudgetTarget, key: string): Promise<void> {
    const membership = `${key}#${target.requestsPerHour}`;
    if (this.memberships.get(target.integrationId) === membership) {
      return;
    }
    await this.repository.joinKey(target.integrationId, key, Math.floor(target.requestsPerHour));
    this.memberships.set(target.integrationId, membership);
  }

  /** Integrations sharing a key with different configured rates share the smallest. */
  /**
   * Stops pacing at shutdown: every pause ends without waking its waiter and no queue serves anyone again, so no
   * timer of the budget keeps the process alive; the work still waiting is left to the leases its workers release.
   */
  onApplicationShutdown(): void {
    this.stopped = true;
    this.queues.forEach((queue) => queue.stop());
    this.pauses.forEach((timer) => clearTimeout(timer));
    this.pauses.clear();
  }

  /** Waits `ms` (at once when not positive); after shutdown it never resolves and holds no timer. */
  private pause(ms: number): Promise<void> {
    if (this.stopped) {
      return new Promise<void>(() => undefined);
    }
    if (ms <= 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.pauses.delete(timer);
        resolve();
      }, ms);
      this.pauses.add(timer);
    });
  }

  private capOf(target: BudgetTarget, snapshot: KeyBudgetSnapshot): number {
    return Math.min(Math.floor(target.requestsPerHour), snapshot.sharedCap ?? Number.POSITIVE_INFINITY);
  }

  private stateOf(snapshot: KeyBudgetSnapshot, cap: number): KeyPacingState {
    return snapshot.state ?? initialPacingState(cap, snapshot.nowMs);
  }
}
