import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { EmbeddedDatabase } from '../../src/database/embedded-database';
import { DEFAULT_TEST_DATABASE_URL } from './global-setup';

export interface TestDatabase {
  url: string;
  name: string;
  /** Runs SQL directly, for assertions on what is stored. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A database of its own for one test file: a fresh PostgreSQL database, or an in-memory embedded one. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (process.env.TEST_DB_MODE === 'embedded') {
    const embedded = await EmbeddedDatabase.start(null);
    return withQuery(embedded.url, 'embedded', () => embedded.stop());
  }
  const adminUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const name = `lc_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return withQuery(url.toString(), name, async () => {
    const dropper = new Client({ connectionString: adminUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  });
}

async function withQuery(url: string, name: string, stop: () => Promise<void>): Promise<TestDatabase> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    url,
    name,
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    drop: async () => {
      await client.end().catch(() => undefined);
      await stop();
    },
  };
}
