import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The request budget belongs to (organization host, key ID): one pacing row per key, shared by every replica and
 * every integration on that key, and which integrations use which key (the smallest configured rate wins).
 */
export class KeyRequestBudget1795800900000 implements MigrationInterface {
  name = 'KeyRequestBudget1795800900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lacework_key_budgets (
        budget_key text PRIMARY KEY,
        next_at timestamptz NOT NULL,
        learned_per_window double precision NOT NULL,
        adjusted_at timestamptz NOT NULL,
        decreased_at timestamptz,
        blocked_until timestamptz
      )`);
    await q.query(`
      CREATE TABLE lacework_budget_members (
        integration_id uuid PRIMARY KEY,
        budget_key text NOT NULL,
        requests_per_window integer NOT NULL
      )`);
    await q.query(`CREATE INDEX lacework_budget_members_key_idx ON lacework_budget_members (budget_key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE lacework_budget_members`);
    await q.query(`DROP TABLE lacework_key_budgets`);
  }
}
