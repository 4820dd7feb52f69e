import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService, SpawnedService } from './setup/spawn-service';
import { SECRETS_KEY } from './setup/test-app';

/** The TCP ports a process listens on, from /proc (Linux): its socket inodes matched against LISTEN rows. */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter((inode): inode is string => inode !== undefined),
  );
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[3] === '0A' && inodes.has(cols[9])) {
        ports.push(parseInt(cols[1].split(':')[1], 16));
      }
    }
  }
  return ports;
}

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
  const started: SpawnedService[] = [];
  const start = (env: Record<string, string>): SpawnedService => {
    const service = spawnService(env);
    started.push(service);
    return service;
  };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lc-embedded-'));
  });

  afterAll(async () => {
    for (const service of started) {
      await service.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts with no environment, prints a working admin token once, and keeps data across a restart', async () => {
    const env = { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' };
    const first = start(env);
    const url = await first.ready(60_000);
    expect(first.stdout()).toMatch(/embedded PGlite/);
    // The database is reachable only through a Unix socket in a private directory: no TCP port but the API's.
    expect(statSync(join(dataDir, 'socket')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'socket', '.s.PGSQL.5432')).isSocket()).toBe(true);
    expect(listeningTcpPorts(first.child.pid as number)).toEqual([Number(new URL(url).port)]);
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

    const second = start(env);
    const url2 = await second.ready(60_000);
    expect(second.stdout()).not.toContain(token);
    expect(second.stdout()).toMatch(
      /admin API token: the one generated on the first start, kept in \S+generated-secrets\.json/,
    );
    const list = await fetch(`${url2}/api/v1/integrations`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { items: { name: string }[] };
    expect(body.items.map((i) => i.name)).toEqual(['persisted']);
    await second.kill('SIGTERM');
  }, 120_000);
});
