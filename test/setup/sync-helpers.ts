import { parseLossless, stringifyLossless } from '../../src/lacework/lossless-json';
import { SCOPE_NAMES } from '../../src/lacework/lacework.types';
import { SCOPE_KEYS } from '../../src/enrichment/document-assembler';
import type { FakeLacework } from '../fakes/fake-lacework';
import { asAdmin, TestApp } from './test-app';
import type { TestDatabase } from './test-database';
import { waitFor } from './wait';

export const KEY = {
  keyId: 'SYNC_KEY_0123456789ABCDEF0123456789',
  secret: '_sync_secret_0123456789abcdef_wxyz',
};

export async function createIntegration(
  app: TestApp,
  fake: FakeLacework,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await app.http
    .post('/api/v1/integrations')
    .set(asAdmin)
    .send({
      name: `org-${Math.random().toString(36).slice(2)}`,
      organizationUrl: fake.url,
      ...KEY,
      ...extra,
    });
  if (res.status !== 201) {
    throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.id as string;
}

/** Starts a manual run, waits for it to end, then for the enrichment queue of that integration to empty. */
export async function syncAndSettle(
  app: TestApp,
  db: TestDatabase,
  integrationId: string,
  timeoutMs = 60_000,
): Promise<Record<string, any>> {
  const started = await app.http.post(`/api/v1/integrations/${integrationId}/sync`).set(asAdmin);
  if (started.status !== 202) {
    throw new Error(`sync failed to start: ${started.status} ${JSON.stringify(started.body)}`);
  }
  const run = await waitFor(
    async () => {
      const res = await app.http.get(`/api/v1/sync-runs/${started.body.runId}`).set(asAdmin);
      return res.body.status !== 'running' ? res.body : undefined;
    },
    timeoutMs,
    'the sync run to end',
  );
  await settle(db, integrationId, timeoutMs);
  return run;
}

export async function settle(db: TestDatabase, integrationId: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alert_versions WHERE integration_id = $1 AND state = 'pending'`,
        [integrationId],
      );
      return row.n === 0;
    },
    timeoutMs,
    'the enrichment queue to empty',
  );
}

/** Each scope of a stored document, as canonical lossless text, for comparison with what the fake serves. */
export function scopesOfDocument(document: string): Record<string, string | null> {
  const parsed = parseLossless(document) as Record<string, unknown>;
  return Object.fromEntries(
    SCOPE_NAMES.map((s) => [
      s,
      parsed[SCOPE_KEYS[s]] === null ? null : stringifyLossless(parsed[SCOPE_KEYS[s]]),
    ]),
  );
}

export function canonical(json: string | null): string | null {
  return json === null ? null : stringifyLossless(parseLossless(json));
}
