import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

const LIMIT = 3;
const wrong = (i: number) => ({ Authorization: `Bearer wrong-token-${i}-0123456789abcdef0123` });

/** Failed sign-ins are throttled per client address; a valid token is never refused by the throttle. */
describe('failed authentication throttle', () => {
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  afterEach(async () => {
    await app?.close();
  });

  it('refuses further failures with 429 but lets valid tokens from the same address through', async () => {
    app = await startTestApp(db.url, { AUTH_FAILURES_PER_MINUTE: String(LIMIT) });
    for (let i = 0; i < LIMIT; i++) {
      expect((await app.http.get('/api/v1/integrations').set(wrong(i))).status).toBe(401);
    }
    const blocked = await app.http.get('/api/v1/integrations').set(wrong(99));
    expect(blocked.status).toBe(429);
    expect(blocked.body.message).toMatch(/^authorization: too many failed attempts/);
    expect((await app.http.get('/api/v1/integrations')).status).toBe(429);
    expect((await app.http.get('/api/v1/integrations').set(asAdmin)).status).toBe(200);
    expect((await app.http.get('/api/v1/status').set(asViewer)).status).toBe(200);
    expect((await app.http.post('/api/v1/integrations/test').set(asAdmin).send({})).status).toBe(400);
  });

  it('ignores X-Forwarded-For by default: a guesser cannot dodge the count by making addresses up', async () => {
    app = await startTestApp(db.url, { AUTH_FAILURES_PER_MINUTE: String(LIMIT) });
    for (let i = 0; i < LIMIT; i++) {
      const res = await app.http
        .get('/api/v1/integrations')
        .set(wrong(i))
        .set('X-Forwarded-For', `10.0.0.${i + 1}`);
      expect(res.status).toBe(401);
    }
    const next = await app.http
      .get('/api/v1/integrations')
      .set(wrong(9))
      .set('X-Forwarded-For', '10.0.0.200');
    expect(next.status).toBe(429);
  });

  it('counts per forwarded client behind a trusted proxy (TRUST_PROXY)', async () => {
    app = await startTestApp(db.url, { AUTH_FAILURES_PER_MINUTE: String(LIMIT), TRUST_PROXY: 'loopback' });
    const from = (client: string, i: number) =>
      app.http.get('/api/v1/integrations').set(wrong(i)).set('X-Forwarded-For', client);
    for (let i = 0; i < LIMIT; i++) {
      expect((await from('203.0.113.7', i)).status).toBe(401);
    }
    expect((await from('203.0.113.7', 9)).status).toBe(429);
    expect((await from('203.0.113.8', 9)).status).toBe(401);
    const admin = await app.http
      .get('/api/v1/integrations')
      .set(asAdmin)
      .set('X-Forwarded-For', '203.0.113.7');
    expect(admin.status).toBe(200);
  });
});
