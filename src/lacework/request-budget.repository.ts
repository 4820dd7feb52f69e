import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { KeyPacingState } from './key-pacing';

/** A key's stored pacing state, read at the database's clock, with the cap its integrations agree on. */
export interface KeyBudgetSnapshot {
  state: KeyPacingState | null;
  /** The smallest configured rate among the live integrations on the key, or null when none is known. */
  sharedCap: number | null;
  nowMs: number;
}

/** What a locked step decided: the state to store, and the requests it granted (each logged at its start). */
export interface KeyBudgetStep<T> {
  state: KeyPacingState | null;
  grants: { integrationId: string; atMs: number }[];
  result: T;
}

interface KeyBudgetRow {
  now_ms: number;
  shared_cap: number | null;
  next_at_ms: number | null;
  learned_per_window: number | null;
  adjusted_at_ms: number | null;
  decreased_at_ms: number | null;
  blocked_until_ms: number | null;
}

const EPOCH_MS = (column: string): string => `(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;

const SNAPSHOT_SQL = `
  SELECT ${EPOCH_MS('clock_timestamp()')} AS now_ms,
         (SELECT min(m.requests_per_window) FROM lacework_budget_members m
            JOIN integrations i ON i.id = m.integration_id AND i.deleted_at IS NULL
           WHERE m.budget_key = $1) AS shared_cap,
         ${EPOCH_MS('k.next_at')} AS next_at_ms, k.learned_per_window,
         ${EPOCH_MS('k.adjusted_at')} AS adjusted_at_ms, ${EPOCH_MS('k.decreased_at')} AS decreased_at_ms,
         ${EPOCH_MS('k.blocked_until')} AS blocked_until_ms
    FROM (SELECT 1) one
    LEFT JOIN lacework_key_budgets k ON k.budget_key = $1`;

/**
 * The request budget's tables: one pacing row per key (`lacework_key_budgets`), the integrations on each key
 * (`lacework_budget_members`), and one row per granted request (`lacework_requests`, for usage figures).
 */
@Injectable()
export class RequestBudgetRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records that the integration uses the key at the given configured rate. */
  async joinKey(integrationId: string, budgetKey: string, requestsPerWindow: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO lacework_budget_members (integration_id, budget_key, requests_per_window) VALUES ($1, $2, $3)
       ON CONFLICT (integration_id) DO UPDATE
         SET budget_key = EXCLUDED.budget_key, requests_per_window = EXCLUDED.requests_per_window`,
      [integrationId, budgetKey, requestsPerWindow],
    );
  }

  /** The key's state without locking it (for figures). */
  async readKey(budgetKey: string): Promise<KeyBudgetSnapshot> {
    const [row]: KeyBudgetRow[] = await this.dataSource.query(SNAPSHOT_SQL, [budgetKey]);
    return snapshotOf(row);
  }

  /**
   * Runs `step` on the key's state under its row lock, so replicas take turns, and stores what it decided with
   * the requests it granted.
   */
  async stepKey<T>(budgetKey: string, step: (snapshot: KeyBudgetSnapshot) => KeyBudgetStep<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO lacework_key_budgets (budget_key, next_at, learned_per_window, adjusted_at)
         VALUES ($1, clock_timestamp(), 0, clock_timestamp()) ON CONFLICT (budget_key) DO NOTHING`,
        [budgetKey],
      );
      await manager.query(`SELECT 1 FROM lacework_key_budgets WHERE budget_key = $1 FOR UPDATE`, [budgetKey]);
      const [row]: KeyBudgetRow[] = await manager.query(SNAPSHOT_SQL, [budgetKey]);
      const snapshot = snapshotOf(row);
      const outcome = step(snapshot);
      if (outcome.state !== null) {
        const s = outcome.state;
        await manager.query(
          `UPDATE lacework_key_budgets
              SET next_at = to_timestamp($2::float8 / 1000), learned_per_window = $3::float8,
                  adjusted_at = to_timestamp($4::float8 / 1000), decreased_at = to_timestamp($5::float8 / 1000),
                  blocked_until = to_timestamp(NULLIF($6::float8, 0) / 1000)
            WHERE budget_key = $1`,
          [budgetKey, s.nextAtMs, s.learnedPerWindow, s.adjustedAtMs, s.decreasedAtMs, s.blockedUntilMs],
        );
      }
      if (outcome.grants.length > 0) {
        await manager.query(
          `INSERT INTO lacework_requests (integration_id, sent_at)
           SELECT g.integration_id, to_timestamp(g.at_ms / 1000)
             FROM unnest($1::uuid[], $2::float8[]) AS g (integration_id, at_ms)`,
          [outcome.grants.map((g) => g.integrationId), outcome.grants.map((g) => g.atMs)],
        );
      }
      return outcome.result;
    });
  }

  /** Deletes request rows older than `keepMs` and key memberships of integrations that no longer exist. */
  async prune(keepMs: number): Promise<number> {
    const result: [unknown, number] = await this.dataSource.query(
      `DELETE FROM lacework_requests WHERE sent_at < clock_timestamp() - $1 * interval '1 millisecond'`,
      [keepMs],
    );
    await this.dataSource.query(
      `DELETE FROM lacework_budget_members m
        WHERE NOT EXISTS (SELECT 1 FROM integrations i WHERE i.id = m.integration_id AND i.deleted_at IS NULL)`,
    );
    return result[1] ?? 0;
  }
}

function snapshotOf(row: KeyBudgetRow): KeyBudgetSnapshot {
  // A row inserted but never stepped has no learned rate yet: it counts as new.
  const state: KeyPacingState | null =
    row.next_at_ms === null || row.learned_per_window === null || row.learned_per_window <= 0
      ? null
      : {
          nextAtMs: row.next_at_ms,
          learnedPerWindow: row.learned_per_window,
          adjustedAtMs: row.adjusted_at_ms ?? row.now_ms,
          decreasedAtMs: row.decreased_at_ms,
          blockedUntilMs: row.blocked_until_ms ?? 0,
        };
  return { state, sharedCap: row.shared_cap, nowMs: row.now_ms };
}
