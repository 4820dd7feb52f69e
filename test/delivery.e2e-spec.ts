import { Webhook } from 'standardwebhooks';
import { FakeDownstream } from './fakes/fake-downstream';
import { FakeLacework, generateAlerts, machineIdFor } from './fakes/fake-lacework';
import { createIntegration, KEY, syncAndSettle } from './setup/sync-helpers';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, sleep, waitFor } from './setup/wait';
import { PIPELINE_APP_ENV } from './setup/pipeline-env';

const SECRET = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const HOUR = 3_600_000;

const APP_ENV = PIPELINE_APP_ENV;

describe('delivery: signed, at least once, idempotent, replayable', () => {
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;
  let downstream: FakeDownstream;

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

  const createDestination = async (extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await app.http
      .post('/api/v1/destinations')
      .set(asAdmin)
      .send({
        name: `dest-${Math.random().toString(36).slice(2)}`,
        url: `${downstream.url}/ingest`,
        signingSecret: SECRET,
        ...extra,
      });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  const waitForDestinationState = (destinationId: string, state: string): Promise<unknown> =>
    waitFor(
      async () =>
        (await app.http.get(`/api/v1/destinations/${destinationId}`).set(asViewer)).body.state === state,
      20_000,
      `destination ${state}`,
    );

  const deliveryStates = async (integrationId: string): Promise<Record<string, number>> => {
    const rows = await db.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM deliveries WHERE integration_id = $1 GROUP BY state`,
      [integrationId],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  };

  it('delivers every assembled version, signed, byte for byte, with its headers', async () => {
    lacework.addAlerts(generateAlerts(25, { start: hourStart(3 * HOUR), hours: 2, firstId: 10_000 }));
    const destinationId = await createDestination({ headers: { 'X-Ingest-Token': 'ingest-123' } });
    const id = await createIntegration(app, lacework, { destinationId, subAccount: null });
    await syncAndSettle(app, db, id);
    await waitFor(async () => (await deliveryStates(id)).delivered === 25, 20_000, '25 deliveries');
    const stored = await db.query<{
      webhook_id: string;
      document: string;
      alert_id: string;
      version: number;
    }>(
      `SELECT d.webhook_id, v.document, d.alert_id, d.version FROM deliveries d
         JOIN alert_versions v ON v.id = d.alert_version_id WHERE d.integration_id = $1`,
      [id],
    );
    const bodies = downstream.deliveredBodies();
    expect(bodies.size).toBe(25);
    const verifier = new Webhook(SECRET);
    for (const row of stored) {
      expect(row.webhook_id).toBe(`lw_${id}_${row.alert_id}_v${row.version}`);
      expect(bodies.get(row.webhook_id)).toBe(row.document);
      expect(row.document).toContain(machineIdFor(row.alert_id));
      const request = downstream.received.find((r) => r.id === row.webhook_id)!;
      expect(request.signatureValid).toBe(true);
      expect(() => verifier.verify(request.body, request.headers)).not.toThrow();
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-lacework-alert-id']).toBe(row.alert_id);
      expect(request.headers['x-alert-version']).toBe(String(row.version));
      expect(request.headers['x-integration-id']).toBe(id);
      expect(request.headers['x-ingest-token']).toBe('ingest-123');
      expect(request.headers['x-lacework-console-url']).toBe(
        `${lacework.url}/ui/investigation/monitor/AlertInbox/${row.alert_id}/details?accountName=127`,
      );
    }
    const list = await app.http
      .get('/api/v1/deliveries')
      .query({ integrationId: id, state: 'delivered', limit: 10 })
      .set(asViewer);
    expect(list.body.items).toHaveLength(10);
    expect(list.body.nextCursor).not.toBeNull();
    const detail = await app.http.get(`/api/v1/deliveries/${list.body.items[0].id}`).set(asViewer);
    expect(detail.body.attemptLog).toEqual([
      { attemptedAt: expect.any(String), statusCode: 200, latencyMs: expect.any(Number), error: null },
    ]);
  });

  it('retries 503 three times on the schedule and delivers on the 4th attempt with the same webhook-id', async () => {
    lacework.addAlerts(generateAlerts(1, { start: hourStart(2 * HOUR), hours: 1, firstId: 20_000 }));
    downstream.respondWith([503, 503, { status: 503, headers: { 'retry-after': '0' } }]);
    const destinationId = await createDestination();
    const id = await createIntegration(app, lacework, { destinationId });
    await syncAndSettle(app, db, id);
    await waitFor(async () => (await deliveryStates(id)).delivered === 1, 20_000, 'the delivery');
    expect(downstream.received.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(downstream.received.map((r) => r.id)).size).toBe(1);
    expect(new Set(downstream.received.map((r) => r.body)).size).toBe(1);
    const [delivery] = await db.query<{ id: string; attempts: number }>(
      `SELECT id, attempts FROM deliveries WHERE integration_id = $1`,
      [id],
    );
    expect(delivery.attempts).toBe(4);
    const gaps = downstream.received.slice(1).map((r, i) => r.at - downstream.received[i].at);
    // Scaled schedule (x0.0001): 5 s -> 0.5 ms, 5 min -> 30 ms, 30 min -> 180 ms, each +-20%, plus a tick.
    expect(gaps[1]).toBeGreaterThanOrEqual(24);
    expect(gaps[2]).toBeGreaterThanOrEqual(144);
    const detail = await app.http.get(`/api/v1/deliveries/${delivery.id}`).set(asViewer);
    expect(detail.body.attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([
      503, 503, 503, 200,
    ]);
  });

  it('marks a delivery dead once every attempt is spent, and delivers it on replay', async () => {
    lacework.addAlerts(generateAlerts(2, { start: hourStart(2 * HOUR), hours: 1, firstId: 30_000 }));
    downstream.setDefault(500);
    const destinationId = await createDestination();
    await db.query(`UPDATE destinations SET enabled = true WHERE id = $1`, [destinationId]);
    const id = await createIntegration(app, lacework, { destinationId });
    await syncAndSettle(app, db, id);
    await waitFor(async () => (await deliveryStates(id)).dead === 2, 40_000, 'both deliveries to die');
    const attempts = downstream.received.filter((r) => r.id === downstream.received[0].id).length;
    expect(attempts).toBe(8);
    const dead = await app.http
      .get('/api/v1/deliveries')
      .query({ integrationId: id, state: 'dead' })
      .set(asViewer);
    expect(dead.body.items).toHaveLength(2);
    expect(dead.body.items[0].lastError).toBe('HTTP 500');

    downstream.setDefault(200);
    const resumed = await app.http
      .patch(`/api/v1/destinations/${destinationId}`)
      .set(asAdmin)
      .send({ enabled: true });
    expect(resumed.status).toBe(200);
    const replay = await app.http
      .post('/api/v1/deliveries/replay')
      .set(asAdmin)
      .send({ destinationId, state: 'dead', since: new Date(Date.now() - HOUR).toISOString() });
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ queued: 2, matched: 2 });
    await waitFor(async () => (await deliveryStates(id)).delivered === 2, 20_000, 'the replayed deliveries');
    expect(downstream.deliveredBodies().size).toBe(2);
    const badReplay = await app.http
      .post('/api/v1/deliveries/replay')
      .set(asAdmin)
      .send({ destinationId, state: 'lost', since: 'x' });
    expect(badReplay.status).toBe(400);
    expect(badReplay.body.message).toMatch(/state/);
    expect(badReplay.body.message).toMatch(/since/);
  });

  it('pauses a destination answering 410, loses nothing, and delivers everything once resumed', async () => {
    lacework.addAlerts(generateAlerts(5, { start: hourStart(3 * HOUR), hours: 1, firstId: 40_000 }));
    downstream.setDefault(410);
    const destinationId = await createDestination();
    const id = await createIntegration(app, lacework, { destinationId });
    await syncAndSettle(app, db, id);
    await waitForDestinationState(destinationId, 'paused');
    // Requests already in flight when the 410 came back may still finish; wait until none holds a claim.
    await waitFor(async () => {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM deliveries WHERE integration_id = $1 AND lease_owner IS NOT NULL`,
        [id],
      );
      return row.n === 0;
    });
    lacework.addAlerts(generateAlerts(3, { start: hourStart(HOUR), hours: 1, firstId: 41_000 }));
    const sentBeforePause = downstream.received.length;
    expect(sentBeforePause).toBeGreaterThanOrEqual(1);
    expect(sentBeforePause).toBeLessThanOrEqual(5);
    await syncAndSettle(app, db, id);
    await sleep(500);
    // Paused: nothing more is sent, and every alert waits.
    expect(downstream.received).toHaveLength(sentBeforePause);
    expect(await deliveryStates(id)).toEqual({ pending: 8 });
    downstream.setDefault(200);
    const paused = await app.http.get(`/api/v1/destinations/${destinationId}`).set(asViewer);
    expect(paused.body.pausedReason).toMatch(/410/);

    const resumed = await app.http
      .patch(`/api/v1/destinations/${destinationId}`)
      .set(asAdmin)
      .send({ enabled: true });
    expect(resumed.body.state).toBe('ok');
    await waitFor(async () => (await deliveryStates(id)).delivered === 8, 20_000, 'all 8 after resuming');
    expect(downstream.deliveredBodies().size).toBe(8);
  });

  it('opens the circuit when most requests fail, then a probe closes it once the destination is back', async () => {
    lacework.addAlerts(generateAlerts(12, { start: hourStart(3 * HOUR), hours: 2, firstId: 45_000 }));
    downstream.setDefault(502);
    const destinationId = await createDestination();
    const id = await createIntegration(app, lacework, { destinationId });
    await syncAndSettle(app, db, id);
    await waitForDestinationState(destinationId, 'paused');
    downstream.setDefault(200);
    await waitFor(
      async () => (await deliveryStates(id)).delivered === 12,
      30_000,
      'delivery after the probe',
    );
    const dest = await app.http.get(`/api/v1/destinations/${destinationId}`).set(asViewer);
    expect(dest.body.state).toBe('ok');
  });

  it('supersedes an undelivered older version and delivers versions in order', async () => {
    lacework.addAlerts(generateAlerts(1, { start: hourStart(2 * HOUR), hours: 1, firstId: 50_000 }));
    const destinationId = await createDestination({ enabled: false });
    const id = await createIntegration(app, lacework, { destinationId });
    await syncAndSettle(app, db, id);
    lacework.updateAlert('50000', { status: 'Closed' });
    await syncAndSettle(app, db, id);
    expect(await deliveryStates(id)).toEqual({ pending: 1, superseded: 1 });
    await app.http.patch(`/api/v1/destinations/${destinationId}`).set(asAdmin).send({ enabled: true });
    await waitFor(async () => (await deliveryStates(id)).delivered === 1);
    expect(downstream.received.map((r) => r.headers['x-alert-version'])).toEqual(['2']);
    expect(downstream.received[0].body).toContain('"status":"Closed"');
  });

  it('sends v2 only after the attempt of v1 still out at a slow downstream has ended', async () => {
    lacework.addAlerts(generateAlerts(1, { start: hourStart(2 * HOUR), hours: 1, firstId: 51_000 }));
    downstream.respondWith([{ status: 200, delayMs: 4_000 }]);
    const destinationId = await createDestination();
    const id = await createIntegration(app, lacework, { destinationId });
    await syncAndSettle(app, db, id);
    await downstream.waitFor(() => downstream.received.length === 1, 10_000);
    // While v1's request is out, the alert changes: v2 is assembled and v1's delivery superseded.
    lacework.updateAlert('51000', { status: 'Closed' });
    await syncAndSettle(app, db, id);
    await downstream.waitFor(() => downstream.received.length === 2, 20_000);
    const [v1, v2] = downstream.received;
    expect([v1.headers['x-alert-version'], v2.headers['x-alert-version']]).toEqual(['1', '2']);
    expect(v1.endedAt).not.toBeNull();
    expect(v2.at).toBeGreaterThanOrEqual(v1.endedAt as number);
    await waitFor(async () => (await deliveryStates(id)).delivered === 1);
    expect(await deliveryStates(id)).toEqual({ delivered: 1, superseded: 1 });
  });

  it('holds alerts while the integration has no destination and sends them once one is set', async () => {
    lacework.addAlerts(generateAlerts(3, { start: hourStart(2 * HOUR), hours: 1, firstId: 55_000 }));
    const id = await createIntegration(app, lacework);
    await syncAndSettle(app, db, id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await deliveryStates(id)).toEqual({ pending: 3 });
    const destinationId = await createDestination();
    const patched = await app.http.patch(`/api/v1/integrations/${id}`).set(asAdmin).send({ destinationId });
    expect(patched.body.destinationId).toBe(destinationId);
    await waitFor(async () => (await deliveryStates(id)).delivered === 3, 20_000);
    const unknown = await app.http
      .patch(`/api/v1/integrations/${id}`)
      .set(asAdmin)
      .send({ destinationId: '3f0e6a1c-1d2b-4c3d-9e8f-0a1b2c3d4e5f' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/^destinationId/);
  });

  it('redelivers an alert and retries a delivery by hand, keeping the webhook-id', async () => {
    lacework.addAlerts(generateAlerts(1, { start: hourStart(2 * HOUR), hours: 1, firstId: 58_000 }));
    const destinationId = await createDestination();
    const id = await createIntegration(app, lacework, { destinationId });
    await syncAndSettle(app, db, id);
    await waitFor(async () => (await deliveryStates(id)).delivered === 1);
    const [alert] = await db.query<{ id: string }>(`SELECT id FROM alerts WHERE integration_id = $1`, [id]);
    const again = await app.http.post(`/api/v1/alerts/${alert.id}/redeliver`).set(asAdmin);
    expect(again.status).toBe(202);
    await waitFor(() => downstream.received.length === 2);
    expect(downstream.received[0].id).toBe(downstream.received[1].id);
    expect(downstream.received[0].body).toBe(downstream.received[1].body);
    const retried = await app.http.post(`/api/v1/deliveries/${again.body.id}/retry`).set(asAdmin);
    expect(retried.status).toBe(202);
    await waitFor(() => downstream.received.length === 3);
    expect((await app.http.post('/api/v1/alerts/abc/redeliver').set(asAdmin)).status).toBe(400);
    expect((await app.http.post('/api/v1/alerts/999999999/redeliver').set(asAdmin)).status).toBe(404);
    expect((await app.http.post(`/api/v1/alerts/${alert.id}/redeliver`).set(asViewer)).status).toBe(403);
  });

  it('two instances over 500 pending deliveries send each exactly once', async () => {
    // A receiver taking 20 ms per request keeps every worker busy, so both instances must share the work.
    await downstream.close();
    downstream = await FakeDownstream.start({ secrets: [SECRET], latencyMs: 20 });
    lacework.addAlerts(generateAlerts(500, { start: hourStart(6 * HOUR), hours: 5, firstId: 60_000 }));
    const destinationId = await createDestination({ enabled: false });
    const id = await createIntegration(app, lacework, { destinationId, requestsPerHour: 100000 });
    await syncAndSettle(app, db, id, 120_000);
    expect(await deliveryStates(id)).toEqual({ pending: 500 });
    const second = await startTestApp(db.url, { ...APP_ENV, DELIVERY_CONCURRENCY: '16' });
    try {
      await app.http.patch(`/api/v1/destinations/${destinationId}`).set(asAdmin).send({ enabled: true });
      await waitFor(async () => (await deliveryStates(id)).delivered === 500, 60_000, '500 deliveries');
    } finally {
      await second.close();
    }
    expect(downstream.received).toHaveLength(500);
    expect(downstream.uniqueIds().size).toBe(500);
    const workers = await db.query<{ worker_id: string; n: number }>(
      `SELECT a.worker_id, count(*)::int AS n FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
        WHERE d.integration_id = $1 GROUP BY a.worker_id`,
      [id],
    );
    expect(workers).toHaveLength(2);
  }, 120_000);

  describe('destinations API', () => {
    it('validates input, returns a generated secret once, never returns header values', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ url: `${downstream.url}/x` }, /^name/],
        [{ name: 'a' }, /^url/],
        [{ name: 'a', url: 'ftp://x.example' }, /^url/],
        [{ name: 'a', url: 'http://user:pw@x.example' }, /^url/],
        [{ name: 'a', url: 'http://169.254.169.254/latest' }, /^url/],
        [{ name: 'a', url: 'http://[fe80::1]/' }, /^url/],
        [{ name: 'a', url: 'http://metadata.google.internal/' }, /^url/],
        [{ name: 'a', url: `${downstream.url}/x`, signingSecret: 'plain' }, /^signingSecret/],
        [{ name: 'a', url: `${downstream.url}/x`, signingSecret: 'whsec_c2hvcnQ=' }, /^signingSecret/],
        [{ name: 'a', url: `${downstream.url}/x`, headers: { 'webhook-id': 'x' } }, /^headers/],
        [{ name: 'a', url: `${downstream.url}/x`, headers: { 'bad header': 'x' } }, /^headers/],
        [{ name: 'a', url: `${downstream.url}/x`, headers: { ok: 'line\nbreak' } }, /^headers/],
        [{ name: 'a', url: `${downstream.url}/x`, extra: 1 }, /extra/],
      ];
      for (const [body, field] of cases) {
        const res = await app.http.post('/api/v1/destinations').set(asAdmin).send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(res.body.message).toMatch(field);
      }
      const [{ n }] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM destinations WHERE name = 'a'`,
      );
      expect(n).toBe(0);

      const created = await app.http
        .post('/api/v1/destinations')
        .set(asAdmin)
        .send({
          name: 'generated',
          url: `http://10.1.2.3:8080/ingest`,
          headers: { Authorization: 'Bearer ingest-secret-value' },
        });
      expect(created.status).toBe(201);
      expect(created.body.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      expect(created.body.headerNames).toEqual(['authorization']);
      const read = await app.http.get(`/api/v1/destinations/${created.body.id}`).set(asViewer);
      expect(read.body.signingSecret).toBeUndefined();
      expect(JSON.stringify(read.body)).not.toContain('ingest-secret-value');
      const [row] = await db.query<{ all: string }>(
        `SELECT t::text AS all FROM destinations t WHERE id = $1`,
        [created.body.id],
      );
      expect(row.all).not.toContain('ingest-secret-value');
      expect(row.all).not.toContain(created.body.signingSecret.slice(6));
      expect(
        (
          await app.http
            .post('/api/v1/destinations')
            .set(asAdmin)
            .send({ name: 'Generated', url: 'http://x.example' })
        ).status,
      ).toBe(409);
    });

    it('signs with both secrets for a day after rotation, and tests a destination', async () => {
      const destinationId = await createDestination();
      const rotated = await app.http
        .patch(`/api/v1/destinations/${destinationId}`)
        .set(asAdmin)
        .send({ rotateSigningSecret: true });
      expect(rotated.status).toBe(200);
      const newSecret = rotated.body.signingSecret as string;
      expect(newSecret).toMatch(/^whsec_/);
      expect(Date.parse(rotated.body.previousSecretValidUntil) - Date.now()).toBeGreaterThan(23 * HOUR);
      downstream.setSecrets([SECRET]);
      const oldOnly = await app.http.post(`/api/v1/destinations/${destinationId}/test`).set(asAdmin);
      expect(oldOnly.body).toMatchObject({ ok: true, status: 200, error: null });
      downstream.setSecrets([newSecret]);
      const newOnly = await app.http.post(`/api/v1/destinations/${destinationId}/test`).set(asAdmin);
      expect(newOnly.body).toMatchObject({ ok: true, status: 200 });
      expect(downstream.received[1].headers['webhook-signature'].split(' ')).toHaveLength(2);
      downstream.setSecrets(['whsec_' + Buffer.alloc(32, 1).toString('base64')]);
      const wrong = await app.http.post(`/api/v1/destinations/${destinationId}/test`).set(asAdmin);
      expect(wrong.body).toMatchObject({ ok: false, status: 401 });
    });

    it('refuses to delete a destination in use and deletes an unused one', async () => {
      const used = await createDestination();
      await createIntegration(app, lacework, { destinationId: used });
      const refused = await app.http.delete(`/api/v1/destinations/${used}`).set(asAdmin);
      expect(refused.status).toBe(409);
      const unused = await createDestination();
      expect((await app.http.delete(`/api/v1/destinations/${unused}`).set(asAdmin)).status).toBe(204);
      expect((await app.http.get(`/api/v1/destinations/${unused}`).set(asAdmin)).status).toBe(404);
    });
  });
});
