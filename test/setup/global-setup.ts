import { Client } from 'pg';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether a PostgreSQL server answers at `url` within a few seconds. */
export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Decides once per `npm test` whether the suite runs on PostgreSQL or, failing that, on the embedded database. */
export default async function globalSetup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  if (await postgresAnswers(url)) {
    process.env.TEST_DB_MODE = 'postgres';
    process.env.TEST_DATABASE_URL = url;
  } else {
    process.env.TEST_DB_MODE = 'embedded';
    process.stdout.write(
      `\nNo PostgreSQL answers at ${url}: the suite runs on the embedded database instead.\n`,
    );
  }
}
