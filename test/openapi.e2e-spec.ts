import { HEALTH_STATES } from '../src/status/integration-health';
import { TIMESERIES_METRICS } from '../src/status/dto/timeseries.query';
import { listRoutes } from './setup/routes';
import { spawnService, SpawnedService } from './setup/spawn-service';
import {
  ADMIN_TOKEN,
  asAdmin,
  asViewer,
  SECRETS_KEY,
  startTestApp,
  TestApp,
  VIEWER_TOKEN,
} from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { waitFor } from './setup/wait';

const METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';
const asMetrics = { Authorization: `Bearer ${METRICS_TOKEN}` };

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema?: { enum?: string[] } }[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

interface Schema {
  properties?: Record<string, { type?: string; writeOnly?: boolean; enum?: string[] }>;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    securitySchemes: Record<string, { type: string; scheme: string }>;
  };
}

const isDocsRoute = (path: string): boolean => path === '/api/docs-json' || path.startsWith('/api/docs');

describe('API surface: OpenAPI document, Swagger UI, request ids, security headers, auth throttling', () => {
  let db: TestDatabase;
  let app: TestApp;
  let document: OpenApiDocument;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, { METRICS_TOKEN });
    const res = await app.http.get('/api/docs-json').set(asViewer);
    expect(res.status).toBe(200);
    document = res.body as OpenApiDocument;
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('serves an OpenAPI 3 document with the bearer scheme', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes every route of the router with its method', () => {
    const routes = listRoutes(app.app).filter((r) => !isDocsRoute(r.path));
    expect(routes.length).toBeGreaterThan(10);
    const missing = routes.filter((r) => {
      const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
      return document.paths[path]?.[r.method] === undefined;
    });
    expect(missing).toEqual([]);
    for (const path of [
      '/api/v1/status',
      '/api/v1/integrations/{id}/status',
      '/api/v1/stats/timeseries',
      '/metrics',
    ]) {
      expect(document.paths[path]?.get).toBeDefined();
    }
  });

  it('describes the errors of every operation in the one error shape, and the token it needs', () => {
    const errorRef = '#/components/schemas/ErrorView';
    expect(document.components.schemas.ErrorView.properties).toEqual(
      expect.objectContaining({ statusCode: expect.any(Object), message: expect.any(Object) }),
    );
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect({
          where,
          ref: operation.responses['500']?.content?.['application/json']?.schema?.$ref,
        }).toEqual({
          where,
          ref: errorRef,
        });
        // The health check and Lacework's webhook hook are open to the bearer guard; the hook checks its own token.
        if (path === '/health' || path.startsWith('/api/v1/hooks/')) {
          expect(operation.security ?? []).toEqual([]);
          continue;
        }
        expect({ where, security: operation.security }).toEqual({ where, security: [{ bearer: [] }] });
        expect({ where, has401: operation.responses['401'] !== undefined }).toEqual({ where, has401: true });
        if (path.includes('{')) {
          expect({ where, has404: operation.responses['404'] !== undefined }).toEqual({
            where,
            has404: true,
          });
        }
      }
    }
  });

  it('marks secrets write-only and never shows them in a response schema', () => {
    const secretLike = /^(secret|.*Secret|apiKeyFile)$/;
    const seen: string[] = [];
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      for (const [property, definition] of Object.entries(schema.properties ?? {})) {
        // A boolean such as `rotateSigningSecret` asks for a secret; it is not one.
        if (secretLike.test(property) && definition.type !== 'boolean') {
          seen.push(`${name}.${property}`);
          expect({ property: `${name}.${property}`, writeOnly: definition.writeOnly }).toEqual({
            property: `${name}.${property}`,
            writeOnly: true,
          });
        }
      }
    }
    expect(seen).toEqual(
      expect.arrayContaining(['CreateIntegrationDto.secret', 'CreateIntegrationDto.apiKeyFile']),
    );
  });

  it('lists the enums of the dashboard', () => {
    expect(document.components.schemas.IntegrationStatusView.properties?.health.enum).toEqual([
      ...HEALTH_STATES,
    ]);
    const metric = document.paths['/api/v1/stats/timeseries'].get.parameters?.find(
      (p) => p.name === 'metric',
    );
    expect(metric?.schema?.enum).toEqual([...TIMESERIES_METRICS]);
  });

  it('needs a token for the document and Swagger UI too; the metrics token may not read them', async () => {
    for (const path of ['/api/docs-json', '/api/docs']) {
      const anonymous = await app.http.get(path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({
        statusCode: 401,
        message: expect.stringMatching(/^authorization/),
      });
      expect(anonymous.headers['x-request-id']).toEqual(expect.any(String));
      expect((await app.http.get(path).set(asMetrics)).status).toBe(403);
    }
    const ui = await app.http.get('/api/docs').set(asAdmin);
    expect(ui.status).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    expect(ui.text).toContain('swagger-ui');
  });

  it('sets the security headers', async () => {
    const res = await app.http.get('/api/v1/status').set(asViewer);
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('answers 429 to further failures from an address after repeated failed authentications', async () => {
    const strict = await startTestApp(db.url, { AUTH_FAILURES_PER_MINUTE: '5' });
    try {
      for (let i = 0; i < 5; i += 1) {
        const res = await strict.http
          .get('/api/v1/status')
          .set('Authorization', `Bearer wrong-token-${i}-0123456789`);
        expect(res.status).toBe(401);
      }
      const blocked = await strict.http
        .get('/api/v1/status')
        .set('Authorization', 'Bearer wrong-token-again-01234');
      expect(blocked.status).toBe(429);
      expect(blocked.body).toMatchObject({
        statusCode: 429,
        message: expect.stringMatching(/too many failed/),
      });
      expect((await strict.http.get('/api/v1/status').set(asAdmin)).status).toBe(200);
    } finally {
      await strict.close();
    }
    // Another instance keeps its own count: the default app was never throttled.
    expect((await app.http.get('/api/v1/status').set(asAdmin)).status).toBe(200);
  });

  describe('request logging (built service)', () => {
    let service: SpawnedService;

    afterEach(async () => {
      await service?.kill();
    });

    it('logs each request with the request id it echoes in x-request-id', async () => {
      service = spawnService({
        DATABASE_URL: db.url,
        ADMIN_API_TOKEN: ADMIN_TOKEN,
        VIEWER_API_TOKEN: VIEWER_TOKEN,
        SECRETS_KEY,
        SCHEDULER_ENABLED: 'false',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: '0',
      });
      const baseUrl = (await service.ready()).replace('[::1]', '127.0.0.1');
      const res = await fetch(`${baseUrl}/api/v1/integrations`, {
        headers: { authorization: `Bearer ${VIEWER_TOKEN}`, 'x-request-id': 'trace-4711-abc' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('trace-4711-abc');
      const line = await waitFor(
        () =>
          service
            .stdout()
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map(
              (l) => JSON.parse(l) as { req?: { id?: string; url?: string }; res?: { statusCode?: number } },
            )
            .find((l) => l.req?.id === 'trace-4711-abc' && l.res !== undefined),
        10_000,
        'the request log line',
      );
      expect(line.req?.url).toBe('/api/v1/integrations');
      expect(line.res?.statusCode).toBe(200);
      expect(JSON.stringify(line)).not.toContain(VIEWER_TOKEN);
    });
  });
});
