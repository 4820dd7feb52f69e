import { parseLossless, stringifyLossless } from '../src/lacework/lossless-json';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { canonical, createIntegration, KEY, settle, syncAndSettle } from './setup/sync-helpers';
import { asAdmin, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, waitFor } from './setup/wait';

const HOUR = 3_600_000;

describe('extra scopes: ObservationTimeline on request, one more call per alert, never a failure when unsupported', () => {
  let db: TestDatabase;
  let app: TestApp;
  let fake: FakeLacework;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, {
      SCHEDULER_ENABLED: 'true',
      POLLING_ENABLED: 'false',
      SCHEDULER_TICK_MS: '50',
      SCOPE_RETRY_BASE_MS: '20',
      LACEWORK_RETRY_BASE_MS: '5',
      ENRICHMENT_CONCURRENCY: '8',
    });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    fake = await FakeLacework.start({ pageSize: 500 });
    fake.addKey(KEY);
  });

  afterEach(async () => {
    await fake.close();
  });

  const documents = (integrationId: string) =>
    db.query<{ alert_id: string; document: string; state: string; version: number }>(
      `SELECT alert_id, document, state, version FROM alert_versions WHERE integration_id = $1 ORDER BY alert_id`,
      [integrationId],
    );

  it('adds scopeObservationTimeline after the six, null where Lacework has none or the alert type lacks it', async () => {
    fake.addAlerts(generateAlerts(60, { start: hourStart(6 * HOUR), hours: 4, firstId: 40_000 }));
    const id = await createIntegration(app, fake, {
      requestsPerHour: 100000,
      extraScopes: ['ObservationTimeline'],
    });
    const run = await syncAndSettle(app, db, id);
    expect(run).toMatchObject({ status: 'succeeded', alertsNew: 60 });
    expect(fake.count('scope')).toBe(60 * 7);

    const outcomes = { data: 0, empty: 0, unsupported: 0 };
    for (const doc of await documents(id)) {
      expect(doc.state).toBe('complete');
      const parsed = parseLossless(doc.document) as Record<string, unknown>;
      const keys = Object.keys(parsed);
      expect(keys.slice(-2)).toEqual(['scopeTimeline', 'scopeObservationTimeline']);
      const expected = canonical(fake.expectedScopeData(doc.alert_id, 'ObservationTimeline'));
      expect(stringifyLossless(parsed.scopeObservationTimeline ?? null)).toEqual(expected ?? 'null');
      const [row] = await db.query<{ outcome: string }>(
        `SELECT s.outcome FROM alert_scopes s JOIN alert_versions v ON v.id = s.alert_version_id
          WHERE v.integration_id = $1 AND v.alert_id = $2 AND s.scope = 'ObservationTimeline'`,
        [id, doc.alert_id],
      );
      outcomes[row.outcome === 'ok' ? 'data' : (row.outcome as 'empty' | 'unsupported')] += 1;
    }
    // The fake serves all three kinds of answer; none of them makes an alert incomplete.
    expect(outcomes.data).toBeGreaterThan(0);
    expect(outcomes.empty).toBeGreaterThan(0);
    expect(outcomes.unsupported).toBeGreaterThan(0);
    const incomplete = await db.query(
      `SELECT 1 FROM alerts WHERE integration_id = $1 AND state <> 'complete'`,
      [id],
    );
    expect(incomplete).toHaveLength(0);

    const [unsupported] = await db.query<{ alert_id: string }>(
      `SELECT v.alert_id FROM alert_scopes s JOIN alert_versions v ON v.id = s.alert_version_id
        WHERE v.integration_id = $1 AND s.scope = 'ObservationTimeline' AND s.outcome = 'unsupported' LIMIT 1`,
      [id],
    );
    const list = await app.http.get(`/api/v1/alerts?integrationId=${id}&limit=100`).set(asAdmin);
    const summary = (list.body.items as { id: string; alertId: string }[]).find(
      (a) => a.alertId === unsupported.alert_id,
    );
    const shown = await app.http.get(`/api/v1/alerts/${summary!.id}`).set(asAdmin);
    expect(shown.body.versions[0].scopes.ObservationTimeline).toMatchObject({
      outcome: 'unsupported',
      error: null,
    });
    expect(Object.keys(shown.body.versions[0].scopes)).toHaveLength(7);
  });

  it('keeps the six-scope document by default, and turning the extra on does not re-enrich what was delivered', async () => {
    fake.addAlerts(generateAlerts(12, { start: hourStart(3 * HOUR), hours: 2, firstId: 50_000 }));
    const id = await createIntegration(app, fake, { requestsPerHour: 100000 });
    await syncAndSettle(app, db, id);
    expect(fake.count('scope')).toBe(12 * 6);
    for (const doc of await documents(id)) {
      expect(doc.document).not.toContain('scopeObservationTimeline');
      expect(doc.document.endsWith('}')).toBe(true);
    }

    const patched = await app.http
      .patch(`/api/v1/integrations/${id}`)
      .set(asAdmin)
      .send({ extraScopes: ['ObservationTimeline'] });
    expect(patched.status).toBe(200);
    expect(patched.body.extraScopes).toEqual(['ObservationTimeline']);

    fake.addAlerts(generateAlerts(3, { start: hourStart(1 * HOUR), hours: 1, firstId: 60_000 }));
    const before = fake.count('scope');
    await syncAndSettle(app, db, id);
    // Only the three new alerts are enriched, with seven calls each; the twelve already delivered are left alone.
    expect(fake.count('scope') - before).toBe(3 * 7);
    const docs = await documents(id);
    expect(docs).toHaveLength(15);
    for (const doc of docs) {
      expect(doc.version).toBe(1);
      expect(doc.document.includes('"scopeObservationTimeline":')).toBe(doc.alert_id.startsWith('6'));
    }
  });

  it('enriches alerts already delivered again only when a backfill asks for it', async () => {
    const start = hourStart(5 * HOUR);
    fake.addAlerts(generateAlerts(8, { start, hours: 2, firstId: 70_000 }));
    const id = await createIntegration(app, fake, { requestsPerHour: 100000 });
    await syncAndSettle(app, db, id);
    await app.http
      .patch(`/api/v1/integrations/${id}`)
      .set(asAdmin)
      .send({ extraScopes: ['ObservationTimeline'] });
    const range = { since: new Date(start.getTime() - HOUR).toISOString(), until: new Date().toISOString() };

    const backfill = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const res = await app.http.post(`/api/v1/integrations/${id}/backfill`).set(asAdmin).send(body);
      expect(res.status).toBe(202);
      const run = await waitFor(
        async () => {
          const r = await app.http.get(`/api/v1/sync-runs/${res.body.runId}`).set(asAdmin);
          return r.body.status !== 'running' ? (r.body as Record<string, unknown>) : undefined;
        },
        60_000,
        'the backfill to end',
      );
      await settle(db, id);
      return run;
    };

    const before = fake.count('scope');
    const plain = await backfill(range);
    expect(plain).toMatchObject({ status: 'succeeded', alertsChanged: 0, refreshDocuments: false });
    expect(fake.count('scope')).toBe(before);

    const refreshed = await backfill({ ...range, refreshDocuments: true });
    expect(refreshed).toMatchObject({ status: 'succeeded', alertsChanged: 8, refreshDocuments: true });
    expect(fake.count('scope') - before).toBe(8 * 7);
    const docs = await documents(id);
    expect(
      docs.filter((d) => d.version === 2 && d.document.includes('"scopeObservationTimeline":')),
    ).toHaveLength(8);
  });

  it.each<[unknown, string]>([
    [['Timeline'], 'extraScopes must be among: ObservationTimeline'],
    [['ObservationTimeline', 'ObservationTimeline'], 'extraScopes must not repeat a scope'],
    ['ObservationTimeline', 'extraScopes must be an array'],
  ])('refuses extraScopes %j with 400 naming the field', async (extraScopes, message) => {
    const res = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({ name: 'bad extra', organizationUrl: fake.url, ...KEY, extraScopes });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
  });
});
