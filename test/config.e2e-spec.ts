import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService } from './setup/spawn-service';
import { SECRETS_KEY } from './setup/test-app';

describe('configuration validated at start-up', () => {
  const cases: { name: string; env: Record<string, string>; mentions: RegExp[] }[] = [
    {
      name: 'DATABASE_URL set without ADMIN_API_TOKEN and SECRETS_KEY',
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' },
      mentions: [/ADMIN_API_TOKEN: required/, /SECRETS_KEY: required/],
    },
    {
      name: 'a short admin token and a bad key',
      env: {
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
        ADMIN_API_TOKEN: 'short',
        SECRETS_KEY: 'bm90LTMyLWJ5dGVz',
      },
      mentions: [
        /ADMIN_API_TOKEN: must be at least 32/,
        /SECRETS_KEY: must be the base64 encoding of exactly 32/,
      ],
    },
    {
      name: 'a bad port, log level and database URL',
      env: {
        DATABASE_URL: 'mysql://x',
        ADMIN_API_TOKEN: 'a'.repeat(40),
        SECRETS_KEY,
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
      },
      mentions: [/^ {2}PORT: /m, /^ {2}LOG_LEVEL: /m, /^ {2}DATABASE_URL: /m],
    },
    {
      name: 'a metrics token equal to the admin token, a short viewer token, a proxy trusted blindly',
      env: {
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
        ADMIN_API_TOKEN: 'a'.repeat(40),
        METRICS_TOKEN: 'a'.repeat(40),
        VIEWER_API_TOKEN: 'v'.repeat(20),
        SECRETS_KEY,
        TRUST_PROXY: 'true',
      },
      mentions: [
        /^ {2}METRICS_TOKEN: must differ from ADMIN_API_TOKEN and VIEWER_API_TOKEN/m,
        /^ {2}VIEWER_API_TOKEN: must be at least 32/m,
        /^ {2}TRUST_PROXY: /m,
      ],
    },
  ];

  it.each(cases)('exits 1 naming each bad variable: $name', async ({ env, mentions }) => {
    const service = spawnService(env);
    const code = await service.exited();
    expect(code).toBe(1);
    for (const pattern of mentions) {
      expect(service.stderr()).toMatch(pattern);
    }
    expect(service.stderr()).not.toMatch(/\n\s+at /);
  });
});

describe('embedded database', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lc-embedded-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts with no environment, prints a working admin token, and keeps data across a restart', async () => {
    const env = { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' };
    const first = spawnService(env);
    const url = await first.ready(60_000);
    expect(first.stdout()).toMatch(/embedded PGlite/);
    const token = /Admin API token[^\n]*\n\s+(\S+)/.exec(first.stdout())?.[1];
    expect(token).toBeDefined();
    const secretsFile = join(dataDir, 'generated-secrets.json');
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(secretsFile, 'utf8')).adminApiToken).toBe(token);

    expect((await fetch(`${url}/health`)).status).toBe(200);
    const created = await fetch(`${url}/api/v1/integrations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'persisted',
        organizationUrl: 'https://acme.lacework.net',
        keyId: 'ACME_KEY',
        secret: '_secret_value_1234',
      }),
    });
    expect(created.status).toBe(201);
    expect(await first.kill('SIGTERM')).toBe(0);

    const second = spawnService(env);
    const url2 = await second.ready(60_000);
    const list = await fetch(`${url2}/api/v1/integrations`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { items: { name: string }[] };
    expect(body.items.map((i) => i.name)).toEqual(['persisted']);
    await second.kill('SIGTERM');
  }, 120_000);
});
