import { randomBytes } from 'node:crypto';
import { api } from './setup/cluster';
import { spawnService, SpawnedService } from './setup/spawn-service';
import { testEnv } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

/** A request that fails in the database is logged by error class and query name, never with its values. */
describe('error logs of failed requests', () => {
  let db: TestDatabase;
  let service: SpawnedService;
  let baseUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    service = spawnService(testEnv(db.url, { LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1' }));
    baseUrl = await service.ready();
  });

  afterAll(async () => {
    await service?.kill();
    await db?.drop();
  });

  it('logs a 500 from a failed query without the SQL, its parameters or the database message', async () => {
    const canary = `_CANARY_${randomBytes(8).toString('hex')}`;
    // A rule the service does not know about makes its INSERT fail after validation has passed.
    await db.query(`ALTER TABLE destinations ADD CONSTRAINT no_canaries CHECK (name NOT LIKE '%CANARY%')`);
    const res = await api(baseUrl, 'POST', '/api/v1/destinations', {
      name: canary,
      url: `https://pipeline.example/${canary}`,
    });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
    await service.kill('SIGTERM');
    const lines = (service.stdout() + service.stderr())
      .split('\n')
      .filter((l) => l.includes('request failed'));
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(logged).toMatchObject({
      errorClass: 'QueryFailedError',
      sqlState: '23514',
      query: 'INSERT destinations',
    });
    const all = service.stdout() + service.stderr();
    expect(all).not.toContain(canary);
    expect(all).not.toMatch(/INSERT INTO destinations|no_canaries|Failing row/);
  });
});
