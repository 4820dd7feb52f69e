import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { currentCallContext } from './call-context';
import type { RequestBudget, RequestBudgetUsage } from './request-budget';

interface Grant {
  slots: number;
  takenAtMs: number;
}

interface Waiter {
  priority: number;
  seq: number;
  limit: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface WaitQueue {
  waiters: Waiter[];
  draining: boolean;
}

const GRANT_MAX_AGE_MS = 2_000;

/**
 * The per-key request budget kept in PostgreSQL, so every replica draws from the same allowance: one row per
 * request in `lacework_requests`, checked and written under a per-integration advisory lock. Slots are reserved a
 * few at a time when much of the budget is left, to spare the database; a reserved slot counts from the moment it
 * is reserved, so the limit is never exceeded, only approached from below.
 */
@Injectable()
export class PgRequestBudget implements RequestBudget, OnApplicationShutdown {
  private readonly windowMs: number;
  /**
   * The window is also paced in this many slices, each allowed its share of the limit, so a backlog cannot spend
   * the whole hour in its first minute and leave a Critical alert arriving later waiting for the next hour.
   */
  private readonly slices: number;
  private readonly grants = new Map<string, Grant>();
  private readonly queues = new Map<string, WaitQueue>();
  private seq = 0;
  /** Set on shutdown: waiting stops, so a pause for the next free slot no longer keeps the process alive. */
  private stopped = false;
  private readonly pauses = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // A request is counted from when its slot was reserved, a moment before Lacework sees it: keep a small margin
    // so a slot is reused only after Lacework's own window has let go of it too.
    this.windowMs = config.laceworkBudgetWindowMs + Math.min(1_000, config.laceworkBudgetWindowMs / 100);
    this.slices = config.laceworkBudgetSlices;
  }

  /**
   * Resolves when a request may be sent. Waiters of one integration are served most urgent first (the call
   * context's priority: listing before scopes, scopes by severity), so a Critical alert does not queue behind a
   * backlog of Low ones when the budget is short.
   */
  async acquire(integrationId: string, limitPerHour: number): Promise<void> {
    const priority = currentCallContext()?.priority ?? 0;
    const queue = this.queues.get(integrationId) ?? { waiters: [], draining: false };
    this.queues.set(integrationId, queue);
    await new Promise<void>((resolve, reject) => {
      queue.waiters.push({ priority, seq: this.seq++, limit: limitPerHour, resolve, reject });
      if (!queue.draining && !this.stopped) {
        void this.drain(integrationId, queue);
      }
    });
  }

  /** Stops pacing: pauses end at once and waiters are left to the leases their workers release. */
  onApplicationShutdown(): void {
    this.stopped = true;
    for (const pause of this.pauses) {
      clearTimeout(pause.timer);
      pause.resolve();
    }
    this.pauses.clear();
  }

  async blockUntil(integrationId: string, until: Date): Promise<void> {
    this.grants.delete(integrationId);
    await this.dataSource.query(
      `UPDATE integrations SET rate_limited_until = GREATEST(COALESCE(rate_limited_until, $2), $2) WHERE id = $1`,
      [integrationId, until],
    );
  }

  async usage(integrationId: string, limitPerHour: number): Promise<RequestBudgetUsage> {
    const [row]: { used: number; blocked: Date | null }[] = await this.dataSource.query(
      `SELECT (SELECT count(*)::int FROM lacework_requests
                WHERE integration_id = $1 AND sent_at > clock_timestamp() - $2 * interval '1 millisecond') AS used,
              (SELECT rate_limited_until FROM integrations
                WHERE id = $1 AND rate_limited_until > clock_timestamp()) AS blocked`,
      [integrationId, this.windowMs],
    );
    return { used: row.used, remaining: Math.max(0, limitPerHour - row.used), blockedUntil: row.blocked };
  }

  /** Deletes request rows older than the window; they no longer count for anything. */
  async prune(): Promise<number> {
    const result: [unknown, number] = await this.dataSource.query(
      `DELETE FROM lacework_requests WHERE sent_at < clock_timestamp() - $1 * interval '1 millisecond'`,
      [this.windowMs * 2],
    );
    return result[1] ?? 0;
  }

  private async drain(integrationId: string, queue: WaitQueue): Promise<void> {
    queue.draining = true;
    try {
      while (queue.waiters.length > 0 && !this.stopped) {
        queue.waiters.sort((x, y) => x.priority - y.priority || x.seq - y.seq);
        const next = queue.waiters[0];
        try {
          const waitMs = await this.takeSlot(integrationId, next.limit);
          if (waitMs === 0) {
            queue.waiters.shift();
            next.resolve();
          } else {
            await this.pause(Math.min(waitMs, 5_000));
          }
        } catch (error) {
          queue.waiters.shift();
          next.reject(error);
        }
      }
    } finally {
      queue.draining = false;
      if (queue.waiters.length === 0) {
        this.queues.delete(integrationId);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const pause = {
        timer: setTimeout(() => {
          this.pauses.delete(pause);
          resolve();
        }, ms),
        resolve,
      };
      this.pauses.add(pause);
    });
  }

  /** Takes one slot from the local grant or reserves more; returns 0 on success or how long to wait. */
  private async takeSlot(integrationId: string, limit: number): Promise<number> {
    const grant = this.grants.get(integrationId);
    if (grant && grant.slots > 0 && Date.now() - grant.takenAtMs < GRANT_MAX_AGE_MS) {
      grant.slots -= 1;
      return 0;
    }
    const waitMs = await this.reserve(integrationId, limit);
    if (waitMs === 0) {
      const fresh = this.grants.get(integrationId);
      if (fresh && fresh.slots > 0) {
        fresh.slots -= 1;
        return 0;
      }
      return 1;
    }
    return waitMs;
  }

  /** Reserves a batch of slots; returns 0 on success or how long to wait before trying again. */
  private async reserve(integrationId: string, limit: number): Promise<number> {
    const sliceLimit = Math.max(1, Math.ceil(limit / this.slices));
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('lacework-budget:' || $1, 0))`, [
        integrationId,
      ]);
      const [state]: {
        used: number;
        used_in_slice: number;
        free_in_ms: string | null;
        slice_free_in_ms: string | null;
        blocked_ms: string | null;
      }[] = await manager.query(
        `SELECT count(*)::int AS used,
                count(*) FILTER (WHERE sent_at > clock_timestamp() - $3 * interval '1 millisecond')::int AS used_in_slice,
                EXTRACT(EPOCH FROM (min(sent_at) + $2 * interval '1 millisecond' - clock_timestamp())) * 1000 AS free_in_ms,
                EXTRACT(EPOCH FROM (min(sent_at) FILTER (WHERE sent_at > clock_timestamp() - $3 * interval '1 millisecond')
                                    + $3 * interval '1 millisecond' - clock_timestamp())) * 1000 AS slice_free_in_ms,
                (SELECT EXTRACT(EPOCH FROM (rate_limited_until - clock_timestamp())) * 1000 FROM integrations
                  WHERE id = $1 AND rate_limited_until > clock_timestamp()) AS blocked_ms
           FROM lacework_requests
          WHERE integration_id = $1 AND sent_at > clock_timestamp() - $2 * interval '1 millisecond'`,
        [integrationId, this.windowMs, this.windowMs / this.slices],
      );
      if (state.blocked_ms !== null) {
        return Math.max(1, Math.ceil(Number(state.blocked_ms)));
      }
      if (limit - state.used <= 0) {
        return Math.max(5, Math.ceil(Number(state.free_in_ms ?? 50)));
      }
      if (sliceLimit - state.used_in_slice <= 0) {
        return Math.max(5, Math.ceil(Number(state.slice_free_in_ms ?? 50)));
      }
      const remaining = Math.min(limit - state.used, sliceLimit - state.used_in_slice);
      const slots = Math.max(1, Math.min(50, Math.floor(remaining / 20)));
      await manager.query(
        `INSERT INTO lacework_requests (integration_id, sent_at) SELECT $1, clock_timestamp() FROM generate_series(1, $2)`,
        [integrationId, slots],
      );
      this.grants.set(integrationId, { slots, takenAtMs: Date.now() });
      return 0;
    });
  }
}
