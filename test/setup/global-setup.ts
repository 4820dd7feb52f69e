import { Client } from 'pg';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Decides once per `npm test` whether the suite runs on PostgreSQL or, failing that, on the embedded database. */
export default async function globalSetup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    process.env.TEST_DB_MODE = 'postgres';
    process.env.TEST_DATABASE_URL = url;
  } catch {
    process.env.TEST_DB_MODE = 'embedded';
    process.stdout.write(
      `\nNo PostgreSQL answers at ${url}: the suite runs on the embedded database instead.\n`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
