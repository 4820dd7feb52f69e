import { FakeDownstream } from './fakes/fake-downstream';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { createIntegration, KEY, syncAndSettle } from './setup/sync-helpers';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, waitFor } from './setup/wait';

/** What the service adds for its web console: the files, their security headers, and the API the screens read. */
describe('console: files and the API behind the screens', () => {
  const ALERTS = 5;
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;
  let downstream: FakeDownstream;

  beforeAll(async () => {
    db = await createTestDatabase();
    lacework = await FakeLacework.start();
    downstream = await FakeDownstream.start();
    lacework.addKey(KEY);
    lacework.addAlerts(
      generateAlerts(ALERTS, { start: hourStart(5 * 3_600_000), hours: 3 }).map((seed, i) => ({
        ...seed,
        alertType: i === 0 ? 'NewExternalServerIp' : 'UnauthorizedAPICall',
      })),
    );
    app = await startTestApp(db.url, {
      SCHEDULER_ENABLED: 'true',
      POLLING_ENABLED: 'false',
      SCHEDULER_TICK_MS: '50',
      SCOPE_RETRY_BASE_MS: '20',
      DELIVERY_RETRY_SCALE: '0.0001',
      CIRCUIT_MIN_REQUESTS: '10000',
      // Paced as in production, with the window scaled: 480 requests per 10 s.
      LACEWORK_BUDGET_WINDOW_MS: '10000',
    });
  });

  afterAll(async () => {
    await app?.close();
    await lacework?.close();
    await downstream?.close();
    await db?.drop();
  });

  describe('files', () => {
    it('serves the console at / without a token, under a strict Content-Security-Policy', async () => {
      const page = await app.http.get('/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.text).toContain('<script type="module" src="/app.js"></script>');
      expect(page.text).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/);
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      const script = await app.http.get('/app.js');
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toMatch(/javascript/);
      // The API answers under the same policy and still wants its token.
      const api = await app.http.get('/api/v1/status');
      expect(api.status).toBe(401);
      expect(api.headers['content-security-policy']).toBe(csp);
    });

    it("leaves Swagger UI helmet's default policy, which its inline styles need", async () => {
      const docs = await app.http.get('/api/docs/').set(asViewer);
      expect(docs.status).toBe(200);
      const csp = docs.headers['content-security-policy'];
      expect(csp).toMatch(/style-src 'self' https: 'unsafe-inline'/);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-eval');
    });

    it('keeps the bundle free of innerHTML and eval', async () => {
      const script = (await app.http.get('/app.js')).text;
      expect(script).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      );
    });
  });

  describe('GET /session', () => {
    it('tells the console what the token may do', async () => {
      expect((await app.http.get('/api/v1/session').set(asAdmin)).body).toEqual({ role: 'admin' });
      expect((await app.http.get('/api/v1/session').set(asViewer)).body).toEqual({ role: 'viewer' });
      const none = await app.http.get('/api/v1/session');
      expect(none.status).toBe(401);
      expect(none.body.message).toMatch(/^authorization/);
    });
  });

  describe('deliveries that died, replayed', () => {
    let integrationId: string;
    let destinationId: string;

    beforeAll(async () => {
      downstream.setDefault(500);
      const destination = await app.http
        .post('/api/v1/destinations')
        .set(asAdmin)
        .send({ name: 'siem', url: `${downstream.url}/hook` });
      expect(destination.status).toBe(201);
      destinationId = destination.body.id;
      integrationId = await createIntegration(app, lacework, { destinationId });
      await syncAndSettle(app, db, integrationId);
      await waitFor(
        async () => {
          const [row] = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM deliveries WHERE state = 'dead'`,
          );
          return row.n === ALERTS;
        },
        60_000,
        'every delivery dead',
      );
    });

    it('gives each destination its 24 h success rate, oldest undelivered alert and dead count', async () => {
      const [attempts] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM delivery_attempts`);
      const status = await app.http.get('/api/v1/status').set(asAdmin).set('Cache-Control', 'no-cache');
      expect(status.body.destinations).toEqual([
        expect.objectContaining({
          id: destinationId,
          successRate24h: 0,
          attempts24h: attempts.n,
          oldestUndeliveredAt: null,
          dead: ALERTS,
        }),
      ]);
    });

    it('charts failed delivery attempts per hour, for all integrations or one', async () => {
      const [attempts] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM delivery_attempts`);
      const all = await app.http.get('/api/v1/stats/timeseries?metric=delivery_failures').set(asViewer);
      expect(all.status).toBe(200);
      expect(all.body.total).toBe(attempts.n);
      const one = await app.http
        .get(`/api/v1/stats/timeseries?metric=delivery_failures&integrationId=${integrationId}`)
        .set(asViewer);
      expect(one.body.total).toBe(attempts.n);
      const bad = await app.http.get('/api/v1/stats/timeseries?metric=delivery_fails').set(asViewer);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/metric/);
    });

    it('filters alerts by type and by the state of their delivery', async () => {
      const dead = await app.http.get('/api/v1/alerts?delivery=dead').set(asViewer);
      expect(dead.body.items).toHaveLength(ALERTS);
      expect((await app.http.get('/api/v1/alerts?delivery=delivered').set(asViewer)).body.items).toHaveLength(
        0,
      );
      expect((await app.http.get('/api/v1/alerts?delivery=none').set(asViewer)).body.items).toHaveLength(0);
      const typed = await app.http.get('/api/v1/alerts?alertType=NewExternalServerIp').set(asViewer);
      expect(typed.body.items.map((a: { alertType: string }) => a.alertType)).toEqual([
        'NewExternalServerIp',
      ]);
      const bad = await app.http.get('/api/v1/alerts?delivery=lost').set(asViewer);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/^delivery/);
    });

    it('links an alert to the Lacework console', async () => {
      const [first] = (await app.http.get('/api/v1/alerts?limit=1').set(asViewer)).body.items;
      const detail = await app.http.get(`/api/v1/alerts/${first.id}`).set(asViewer);
      expect(detail.body.consoleUrl).toBe(
        `${lacework.url}/ui/investigation/monitor/AlertInbox/${first.alertId}/details?accountName=127`,
      );
    });

    it('counts what a replay would take without taking it, then replays exactly that many', async () => {
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const dry = await app.http
        .post('/api/v1/deliveries/replay')
        .set(asAdmin)
        .send({ destinationId, state: 'dead', since, dryRun: true });
      expect(dry.status).toBe(202);
      expect(dry.body).toEqual({ queued: 0, matched: ALERTS });
      const [still] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM deliveries WHERE state = 'dead'`,
      );
      expect(still.n).toBe(ALERTS);

      downstream.setDefault(200);
      const replay = await app.http
        .post('/api/v1/deliveries/replay')
        .set(asAdmin)
        .send({ destinationId, state: 'dead', since });
      expect(replay.body).toEqual({ queued: ALERTS, matched: ALERTS });
      await waitFor(
        async () => {
          const [row] = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM deliveries WHERE state = 'delivered'`,
          );
          return row.n === ALERTS;
        },
        30_000,
        'every alert delivered',
      );
      const status = (await app.http.get('/api/v1/status').set(asAdmin).set('Cache-Control', 'no-cache'))
        .body;
      expect(status.destinations[0].dead).toBe(0);
      const [attempts] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM delivery_attempts`);
      expect(status.destinations[0].successRate24h).toBeCloseTo(ALERTS / attempts.n, 6);
      expect((await app.http.get('/api/v1/alerts?delivery=delivered').set(asViewer)).body.items).toHaveLength(
        ALERTS,
      );
    });

    it('refuses a dry run that is not a boolean, naming the field', async () => {
      const res = await app.http
        .post('/api/v1/deliveries/replay')
        .set(asAdmin)
        .send({ destinationId, state: 'dead', since: new Date().toISOString(), dryRun: 'yes' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/dryRun/);
    });
  });

  describe('advice', () => {
    it('tells to rotate a revoked key, and says nothing for a healthy integration', async () => {
      const revoked = {
        keyId: 'REVOKED_0123456789ABCDEF01234567',
        secret: '_revoked_secret_0123456789abcdef',
      };
      lacework.addKey(revoked);
      const id = await createIntegration(app, lacework, { ...revoked });
      lacework.revokeKey(revoked.keyId);
      await syncAndSettle(app, db, id);
      const status = await app.http.get(`/api/v1/integrations/${id}/status`).set(asViewer);
      expect(status.body.health).toBe('failing');
      expect(status.body.advice).toMatch(/revoked.*rotate it/);
      const overview = await app.http.get('/api/v1/status').set(asViewer).set('Cache-Control', 'no-cache');
      const healthy = overview.body.integrations.find((i: { id: string }) => i.id !== id);
      expect(healthy.advice).toBeNull();
    });
  });
});
