import { validateEnv } from '../src/config/env.validation';
import { FakeDownstream } from './fakes/fake-downstream';
import { FakeLacework } from './fakes/fake-lacework';
import { createIntegration, KEY, scopesOfDocument, syncAndSettle } from './setup/sync-helpers';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, waitFor } from './setup/wait';

const SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
const WRITEBACK_TOKEN = 'test-writeback-token-0123456789abcdef0123';
const asWriteback = { Authorization: `Bearer ${WRITEBACK_TOKEN}` };

const APP_ENV = {
  SCHEDULER_ENABLED: 'true',
  POLLING_ENABLED: 'false',
  SCHEDULER_TICK_MS: '50',
  LACEWORK_RETRY_BASE_MS: '5',
  DELIVERY_RETRY_SCALE: '0.0001',
  LEASE_SECONDS: '5',
  WRITEBACK_TOKEN,
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
};

describe('write-back: close and comment on Lacework alerts', () => {
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;
  let downstream: FakeDownstream;
  let nextId = 70_000;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, APP_ENV);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    lacework = await FakeLacework.start();
    lacework.addKey(KEY);
    downstream = await FakeDownstream.start({ secrets: [SECRET] });
  });

  afterEach(async () => {
    await lacework.close();
    await downstream.close();
  });

  /** One synced, delivered alert; returns our alert id and Lacework's. */
  const syncedAlert = async (
    on: TestApp = app,
  ): Promise<{ integrationId: string; id: string; alertId: string }> => {
    const alertId = String(nextId++);
    lacework.addAlerts([{ alertId, severity: 'High', startTime: hourStart(0) }]);
    const destination = await on.http
      .post('/api/v1/destinations')
      .set(asAdmin)
      .send({ name: `dest-${alertId}`, url: `${downstream.url}/ingest`, signingSecret: SECRET });
    // What is measured here is the write-back, not the request budget's pacing (see request-budget.e2e-spec.ts).
    const integrationId = await createIntegration(on, lacework, {
      destinationId: destination.body.id,
      requestsPerHour: 100_000,
    });
    await syncAndSettle(on, db, integrationId);
    const [row] = await db.query<{ id: string }>(
      `SELECT id::text FROM alerts WHERE integration_id = $1 AND alert_id = $2`,
      [integrationId, alertId],
    );
    return { integrationId, id: row.id, alertId };
  };

  const actionDone = (on: TestApp, id: string, actionId: string): Promise<Record<string, any>> =>
    waitFor(
      async () => {
        const res = await on.http.get(`/api/v1/alerts/${id}`).set(asAdmin);
        const action = (res.body.actions as Record<string, any>[]).find((a) => a.id === actionId);
        return action !== undefined && action.state !== 'pending' ? action : undefined;
      },
      20_000,
      `action ${actionId} to finish`,
    );

  it('closes an alert, audits it, and delivers the new version with the close in its Timeline', async () => {
    const { integrationId, id, alertId } = await syncedAlert();
    const accepted = await app.http
      .post(`/api/v1/alerts/${id}/close`)
      .set(asWriteback)
      .set('x-request-id', 'req-close-1')
      .send({ reason: 1, comment: 'benign scanner' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      kind: 'close',
      state: 'pending',
      reason: 1,
      requestedBy: 'writeback',
    });

    const action = await actionDone(app, id, accepted.body.id);
    expect(action).toMatchObject({
      state: 'done',
      requestedBy: 'writeback',
      requestId: 'req-close-1',
      resultStatus: 204,
      attempts: [expect.objectContaining({ attempt: 1, outcome: 'done', status: 204 })],
    });
    const sent = lacework.writeBackRequests();
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe(`/api/v2/Alerts/${alertId}/close`);
    expect(JSON.parse(lacework.listRecordText(alertId)).status).toBe('Closed');

    // The effect comes back the normal way: the next listing sees the change, a new version is delivered.
    await syncAndSettle(app, db, integrationId);
    await waitFor(
      () => downstream.uniqueIds().has(`lw_${integrationId}_${alertId}_v2`),
      20_000,
      'v2 delivered',
    );
    const v2 = downstream.deliveredBodies().get(`lw_${integrationId}_${alertId}_v2`) as string;
    expect(JSON.parse(v2).status).toBe('Closed');
    const timeline = JSON.parse(scopesOfDocument(v2).Timeline as string) as Record<string, any>[];
    expect(timeline.at(-1)).toMatchObject({
      entryType: 'StatusChange',
      message: { value: 'Closed: False positive. benign scanner' },
    });
    const again = await app.http.post(`/api/v1/alerts/${id}/close`).set(asAdmin).send({ reason: 5 });
    expect(again.status).toBe(409);
    expect(again.body.alert).toMatchObject({ status: 'Closed', version: 2 });
  });

  it('comments in plaintext and markdown; the answer is the new timeline entry', async () => {
    const { id, alertId } = await syncedAlert();
    const accepted = await app.http
      .post(`/api/v1/alerts/${id}/comment`)
      .set(asAdmin)
      .send({ comment: '**looking**', format: 'markdown' });
    expect(accepted.status).toBe(202);
    const action = await actionDone(app, id, accepted.body.id);
    expect(action).toMatchObject({
      state: 'done',
      requestedBy: 'admin',
      resultStatus: 200,
      format: 'markdown',
    });
    expect(JSON.parse(action.result as string).data).toMatchObject({
      entryType: 'UserComment',
      message: { value: '**looking**', format: 'markdown' },
    });
    const timeline = JSON.parse(lacework.expectedScopeData(alertId, 'Timeline') as string) as unknown[];
    expect(timeline.at(-1)).toMatchObject({ message: { value: '**looking**' } });
  });

  it('refuses what Lacework would refuse, and roles other than admin and write-back', async () => {
    const { id } = await syncedAlert();
    const noComment = await app.http.post(`/api/v1/alerts/${id}/close`).set(asAdmin).send({ reason: 0 });
    expect(noComment.status).toBe(400);
    expect(noComment.body.message).toContain('comment');
    const badReason = await app.http.post(`/api/v1/alerts/${id}/close`).set(asAdmin).send({ reason: 6 });
    expect(badReason.status).toBe(400);
    expect(JSON.stringify(badReason.body)).toContain('reason');
    const badFormat = await app.http
      .post(`/api/v1/alerts/${id}/comment`)
      .set(asAdmin)
      .send({ comment: 'x', format: 'html' });
    expect(badFormat.status).toBe(400);
    expect((await app.http.post('/api/v1/alerts/999999/close').set(asAdmin).send({ reason: 1 })).status).toBe(
      404,
    );
    expect((await app.http.post(`/api/v1/alerts/${id}/close`).set(asViewer).send({ reason: 1 })).status).toBe(
      403,
    );
    // The write-back token decides alerts and nothing else: no reading, no keys, no destinations.
    expect((await app.http.get(`/api/v1/alerts/${id}`).set(asWriteback)).status).toBe(403);
    expect((await app.http.get('/api/v1/integrations').set(asWriteback)).status).toBe(403);
    expect((await app.http.post('/api/v1/destinations').set(asWriteback).send({})).status).toBe(403);
    expect(lacework.writeBackRequests()).toHaveLength(0);
  });

  it('returns the first action for a repeated Idempotency-Key and sends it once', async () => {
    const { id } = await syncedAlert();
    const send = () =>
      app.http
        .post(`/api/v1/alerts/${id}/comment`)
        .set(asWriteback)
        .set('Idempotency-Key', `soar-${id}-1`)
        .send({ comment: 'ticket SOC-1' });
    const [first, second] = await Promise.all([send(), send()]);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    await actionDone(app, id, first.body.id);
    const third = await send();
    expect(third.body).toMatchObject({ id: first.body.id, state: 'done' });
    expect(lacework.writeBackRequests()).toHaveLength(1);
  });

  it('retries a 503 with backoff and records each attempt', async () => {
    const { id } = await syncedAlert();
    lacework.failNext(1, 503);
    const accepted = await app.http.post(`/api/v1/alerts/${id}/close`).set(asAdmin).send({ reason: 4 });
    const action = await actionDone(app, id, accepted.body.id);
    expect(action.state).toBe('done');
    expect(action.attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'unavailable', status: null }),
      expect.objectContaining({ attempt: 2, outcome: 'done', status: 204 }),
    ]);
  });

  it('ends failed with Lacework answer when Lacework refuses', async () => {
    const { id, alertId } = await syncedAlert();
    lacework.removeAlert(alertId);
    const accepted = await app.http.post(`/api/v1/alerts/${id}/comment`).set(asAdmin).send({ comment: 'x' });
    const action = await actionDone(app, id, accepted.body.id);
    expect(action).toMatchObject({ state: 'failed', resultStatus: 404, result: 'Not found' });
  });

  it('keeps an accepted action across a restart and sends it exactly once', async () => {
    const { id, alertId } = await syncedAlert();
    const stopped = await startTestApp(db.url, { ...APP_ENV, SCHEDULER_ENABLED: 'false' });
    const accepted = await stopped.http
      .post(`/api/v1/alerts/${id}/close`)
      .set(asAdmin)
      .set('Idempotency-Key', `restart-${id}`)
      .send({ reason: 2 });
    expect(accepted.status).toBe(202);
    await stopped.close();
    expect(lacework.writeBackRequests()).toHaveLength(0);

    const restarted = await startTestApp(db.url, APP_ENV);
    try {
      const action = await actionDone(restarted, id, accepted.body.id);
      expect(action.state).toBe('done');
      const repeat = await restarted.http
        .post(`/api/v1/alerts/${id}/close`)
        .set(asAdmin)
        .set('Idempotency-Key', `restart-${id}`)
        .send({ reason: 2 });
      expect(repeat.body.id).toBe(accepted.body.id);
    } finally {
      await restarted.close();
    }
    expect(lacework.writeBackRequests().map((r) => r.path)).toEqual([`/api/v2/Alerts/${alertId}/close`]);
  });
});

describe('WRITEBACK_TOKEN', () => {
  const base = {
    DATABASE_URL: 'postgres://127.0.0.1/x',
    ADMIN_API_TOKEN: 'a'.repeat(40),
    VIEWER_API_TOKEN: 'v'.repeat(40),
    SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
  };

  it('must be at least 32 characters and differ from every other token', () => {
    expect(validateEnv({ ...base, WRITEBACK_TOKEN: WRITEBACK_TOKEN }).writebackToken).toBe(WRITEBACK_TOKEN);
    expect(() => validateEnv({ ...base, WRITEBACK_TOKEN: 'short-token' })).toThrow(
      /WRITEBACK_TOKEN: must be at least 32/,
    );
    expect(() => validateEnv({ ...base, WRITEBACK_TOKEN: 'v'.repeat(40) })).toThrow(
      /WRITEBACK_TOKEN: must differ from VIEWER_API_TOKEN/,
    );
    expect(() => validateEnv({ ...base, WRITEBACK_TOKEN: 'a'.repeat(40) })).toThrow(
      /WRITEBACK_TOKEN: must differ from ADMIN_API_TOKEN/,
    );
  });
});
