import { randomBytes } from 'node:crypto';
import { FakeLacework } from './fakes/fake-lacework';
import { spawnService, SpawnedService } from './setup/spawn-service';
import { ADMIN_TOKEN, SECRETS_KEY } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

/** A canary secret goes through every operation; afterwards it must appear in no response, log line or column. */
describe('secrets never leave the service', () => {
  let db: TestDatabase;
  let fake: FakeLacework;
  let service: SpawnedService;
  let baseUrl: string;
  const bodies: string[] = [];
  const canaries = [0, 1, 2, 3].map(() => `_CANARY_${randomBytes(12).toString('hex')}`);

  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, json: text === '' ? null : JSON.parse(text) };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeLacework.start();
    fake.addKey({ keyId: 'CANARY_KEY_1', secret: canaries[0] });
    fake.addKey({ keyId: 'CANARY_KEY_2', secret: canaries[1] });
    service = spawnService({
      DATABASE_URL: db.url,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      SECRETS_KEY,
      LOG_LEVEL: 'trace',
      PORT: '0',
      HOST: '127.0.0.1',
      SCHEDULER_ENABLED: 'false',
      LACEWORK_EXTRA_ALLOWED_HOSTS: '127.0.0.1',
    });
    baseUrl = await service.ready();
  });

  afterAll(async () => {
    await service?.kill();
    await fake?.close();
    await db?.drop();
  });

  it('keeps every canary out of responses, logs and the database', async () => {
    const created = await call('POST', '/api/v1/integrations', {
      name: 'canary',
      organizationUrl: fake.url,
      keyId: 'CANARY_KEY_1',
      secret: canaries[0],
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect((await call('GET', `/api/v1/integrations/${id}`)).status).toBe(200);
    expect((await call('GET', '/api/v1/integrations')).json.items).toHaveLength(1);
    expect((await call('POST', `/api/v1/integrations/${id}/test`)).json.ok).toBe(true);
    const rotated = await call('PATCH', `/api/v1/integrations/${id}`, {
      keyId: 'CANARY_KEY_2',
      secret: canaries[1],
    });
    expect(rotated.status).toBe(200);
    expect((await call('POST', `/api/v1/integrations/${id}/test`)).json.ok).toBe(true);
    const failed = await call('POST', '/api/v1/integrations/test', {
      name: 'bad',
      organizationUrl: fake.url,
      keyId: 'CANARY_KEY_1',
      secret: canaries[2],
    });
    expect(failed.json).toMatchObject({ ok: false, error: { code: 'invalid_credentials' } });
    const invalid = await call('POST', '/api/v1/integrations', {
      name: 'bad',
      organizationUrl: 'https://evil.example',
      keyId: 'k',
      secret: canaries[3],
    });
    expect(invalid.status).toBe(400);
    const fromFile = await call('POST', '/api/v1/integrations', {
      name: 'file',
      apiKeyFile: { keyId: 'x', secret: canaries[3], account: 'acme', bogus: 1 },
      pollIntervalSeconds: 1,
    });
    expect(fromFile.status).toBe(400);

    await service.kill('SIGTERM');
    const logs = service.stdout() + service.stderr();
    expect(logs.length).toBeGreaterThan(1000);
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    let dump = '';
    for (const { table_name } of tables) {
      const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM ${table_name} t`);
      dump += rows.map((r) => r.row).join('\n');
    }
    expect(dump).toContain('CANARY_KEY_2');
    for (const canary of canaries) {
      expect(bodies.filter((b) => b.includes(canary))).toEqual([]);
      expect(logs.includes(canary)).toBe(false);
      expect(dump.includes(canary)).toBe(false);
    }
  });
});
