import type { LaceworkConnection } from './lacework.types';

/** Who is asking for a request: the integration, the key it uses, and that integration's configured rate. */
export type BudgetTarget = Pick<
  LaceworkConnection,
  'integrationId' | 'organizationUrl' | 'keyId' | 'requestsPerHour'
>;

/** What {@link RequestBudget.usage} reports for the key of one integration. */
export interface RequestBudgetUsage {
  /** Requests the key can start within the next few minutes at its current rate; never negative. */
  remaining: number;
  /** The rate the key is paced at now, per budget window (per hour in production). */
  learnedPerWindow: number;
  blockedUntil: Date | null;
}

/**
 * The allowance of Lacework requests. Lacework limits each API key, so the budget belongs to (organization host,
 * key ID): every integration using the same key draws from the same budget.
 */
export interface RequestBudget {
  /** Resolves when a request may be sent for the target's key. */
  acquire(target: BudgetTarget): Promise<void>;
  /** After a 429: nothing is sent on the key before `until`, and the key's rate is lowered. */
  reportRateLimited(target: BudgetTarget, until: Date): Promise<void>;
  /** How much the key can spend soon, its current rate, and any active block. */
  usage(target: BudgetTarget): Promise<RequestBudgetUsage>;
}

/** The identity a budget belongs to: the organization's host (lower case) and the key ID. */
export function budgetKeyOf(target: Pick<BudgetTarget, 'organizationUrl' | 'keyId'>): string {
  let host: string;
  try {
    host = new URL(target.organizationUrl).host.toLowerCase();
  } catch {
    host = target.organizationUrl.toLowerCase();
  }
  return `${host}|${target.keyId}`;
}
