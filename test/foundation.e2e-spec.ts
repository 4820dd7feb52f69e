import { MIGRATIONS } from '../migrations';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { TcpProxy, viaProxy } from './setup/tcp-proxy';
import { listRoutes } from './setup/routes';

describe('foundation: boot, migrations, health, access control', () => {
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('applies every migration on a fresh database and none on the next boot', async () => {
    const applied = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY id');
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => m.name));
    const second = await startTestApp(db.url);
    await second.close();
    const after = await db.query('SELECT name FROM schema_migrations');
    expect(after).toHaveLength(MIGRATIONS.length);
  });

  it('answers /health with the database up, without a token', async () => {
    const res = await app.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'up' });
  });

  it('answers /health 503 when the database stops answering', async () => {
    const target = new URL(db.url);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const proxied = await startTestApp(viaProxy(db.url, proxy));
    try {
      expect((await proxied.http.get('/health')).status).toBe(200);
      proxy.cut();
      const res = await proxied.http.get('/health');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'unavailable', database: 'down' });
      proxy.restore();
    } finally {
      await proxied.close();
      await proxy.close();
    }
  });

  it('refuses every route but /health without a token (401) and viewer writes (403)', async () => {
    const routes = listRoutes(app.app);
    expect(routes.length).toBeGreaterThan(1);
    for (const route of routes) {
      const path = route.path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
      const call = () => app.http[route.method](path);
      const anonymous = await call();
      if (route.path === '/health') {
        expect(anonymous.status).toBe(200);
        continue;
      }
      expect({ route, status: anonymous.status }).toEqual({ route, status: 401 });
      if (route.path.startsWith('/api/v1/hooks/')) {
        // Lacework's webhook channel authenticates with the hook token in its URL, not a bearer token.
        expect(anonymous.body.message).toMatch(/^token: /);
        continue;
      }
      expect(anonymous.body.message).toMatch(/authorization/);
      const wrong = await call().set('Authorization', 'Bearer not-a-real-token-but-long-enough');
      expect({ route, status: wrong.status }).toEqual({ route, status: 401 });
      if (route.method !== 'get') {
        const viewer = await call().set(asViewer);
        expect({ route, status: viewer.status }).toEqual({ route, status: 403 });
      }
    }
  });

  it('answers unknown API paths 404 in the error shape, for an authenticated caller', async () => {
    const res = await app.http.get('/api/v1/nothing-here').set(asAdmin);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('answers malformed JSON with 400 naming the body', async () => {
    const res = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .set('content-type', 'application/json')
      .send('{"name": ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/^body:/),
    });
  });

  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const given = await app.http.get('/health').set('x-request-id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const bad = await app.http.get('/health').set('x-request-id', 'bad id with spaces');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
