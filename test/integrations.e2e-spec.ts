import { Client } from 'pg';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { waitFor } from './setup/wait';

const KEY = { keyId: 'ACME_0123456789ABCDEF0123456789ABCDEF', secret: '_0123456789abcdef0123456789abcdef' };

describe('integrations: configure Lacework organizations and keys', () => {
  let db: TestDatabase;
  let app: TestApp;
  let fake: FakeLacework;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
    fake = await FakeLacework.start();
    fake.addKey(KEY);
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    await db.query('DELETE FROM integrations');
    fake.reset();
  });

  const countRows = async (): Promise<number> =>
    Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM integrations'))[0].n);

  it('creates from fields and returns the integration without its secret', async () => {
    const res = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({
        name: 'Acme prod',
        organizationUrl: 'https://ACME.lacework.net/',
        ...KEY,
        subAccount: 'acme-dev',
      });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Acme prod',
      organizationUrl: 'https://acme.lacework.net',
      notices: ['organizationUrl: stored as https://acme.lacework.net (given: https://ACME.lacework.net/)'],
      extraScopes: [],
      keyId: KEY.keyId,
      subAccount: 'acme-dev',
      secretHint: 'cdef',
      pollIntervalSeconds: 300,
      initialLookbackHours: 24,
      requestsPerHour: 480,
      enabled: true,
      minSeverity: null,
      includeAlertTypes: null,
      excludeAlertTypes: null,
      destinationId: null,
      destinationIds: [],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const [row] = await db.query<{ secret_sealed: string }>('SELECT secret_sealed FROM integrations');
    expect(row.secret_sealed).not.toContain(KEY.secret);
    expect(row.secret_sealed).toMatch(/^v1\./);
  });

  const keyFiles: [
    string,
    Record<string, unknown>,
    { organizationUrl: string; subAccount: string | null },
  ][] = [
    [
      'camel-case subAccount, full host',
      { ...KEY, subAccount: 'acme-dev', account: 'acme.lacework.net' },
      { organizationUrl: 'https://acme.lacework.net', subAccount: 'acme-dev' },
    ],
    [
      'lower-case subaccount, bare account',
      { ...KEY, subaccount: 'acme-qa', account: 'acme' },
      { organizationUrl: 'https://acme.lacework.net', subAccount: 'acme-qa' },
    ],
    [
      'an account on a regional cluster',
      { ...KEY, account: 'acme.fra.lacework.net', subAccount: 'acme-dev' },
      { organizationUrl: 'https://acme.fra.lacework.net', subAccount: 'acme-dev' },
    ],
    [
      'no sub-account',
      { ...KEY, account: 'globex.lacework.net' },
      { organizationUrl: 'https://globex.lacework.net', subAccount: null },
    ],
    [
      'extra fields the console may add',
      { ...KEY, account: 'initech', createdTime: '2024-01-01', description: 'x' },
      { organizationUrl: 'https://initech.lacework.net', subAccount: null },
    ],
  ];

  it.each(keyFiles)('creates from a key file: %s', async (_name, apiKeyFile, expected) => {
    const res = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({ name: 'from file', apiKeyFile });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ...expected, keyId: KEY.keyId, secretHint: 'cdef' });
  });

  const fortiCloudFile = (lineEnd: string): string =>
    `# FortiCloud API credentials${lineEnd}apiId:  ${KEY.keyId} ${lineEnd}${lineEnd}password:\t${KEY.secret}${lineEnd}`;

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])(
    'creates from a FortiCloud credentials text file (%s), on a regional host pasted from the console',
    async (_name, lineEnd) => {
      const res = await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({
          name: 'forticloud',
          organizationUrl: 'acme.fra.lacework.net/ui/investigation/recents',
          apiKeyFile: fortiCloudFile(lineEnd),
        });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        organizationUrl: 'https://acme.fra.lacework.net',
        keyId: KEY.keyId,
        subAccount: null,
        secretHint: 'cdef',
        notices: [
          'organizationUrl: stored as https://acme.fra.lacework.net (given: acme.fra.lacework.net/ui/investigation/recents)',
        ],
      });
      expect(JSON.stringify(res.body)).not.toContain(KEY.secret);
    },
  );

  it('tests a FortiCloud credentials file against Lacework: its apiId and password are the key ID and secret', async () => {
    const res = await app.http
      .post('/api/v1/integrations/test')
      .set(asAdmin)
      .send({ name: 'forticloud', organizationUrl: fake.url, apiKeyFile: fortiCloudFile('\r\n') });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true });
    const wrong = await app.http
      .post('/api/v1/integrations/test')
      .set(asAdmin)
      .send({
        name: 'forticloud',
        organizationUrl: fake.url,
        apiKeyFile: `apiId: ${KEY.keyId}\npassword: wrong`,
      });
    expect(wrong.body).toMatchObject({ ok: false, error: { code: 'invalid_credentials' } });
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'no organization URL (the file names no account)',
      { apiKeyFile: `apiId: ${KEY.keyId}\npassword: ${KEY.secret}` },
      'organizationUrl: is required with a FortiCloud credentials file, which names no account',
    ],
    [
      'a missing password line',
      { organizationUrl: 'https://acme.lacework.net', apiKeyFile: `apiId: ${KEY.keyId}\r\n` },
      'apiKeyFile.password: line is missing (expected "password: <secret>")',
    ],
  ])('refuses a FortiCloud credentials file with %s (400, nothing written)', async (_name, body, message) => {
    const res = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({ name: 'forticloud', ...body });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(message);
    expect(await countRows()).toBe(0);
  });

  it.each([
    [
      'https://acme.lacework.net/ui/investigation/monitor/AlertInbox/967278/details?x=1#top',
      'https://acme.lacework.net',
    ],
    ['acme.lacework.net', 'https://acme.lacework.net'],
    ['https://acme.fra.lacework.net/', 'https://acme.fra.lacework.net'],
  ])('stores the organization URL %s as %s and says so', async (given, stored) => {
    const res = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({ name: 'pasted', organizationUrl: given, ...KEY });
    expect(res.status).toBe(201);
    expect(res.body.organizationUrl).toBe(stored);
    expect(res.body.notices).toEqual([`organizationUrl: stored as ${stored} (given: ${given})`]);
  });

  it('takes the organization URL given beside a key file over its account', async () => {
    const res = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({
        name: 'override',
        organizationUrl: 'https://acme.fra.lacework.net',
        apiKeyFile: { ...KEY, account: 'x' },
      });
    expect(res.status).toBe(201);
    expect(res.body.organizationUrl).toBe('https://acme.fra.lacework.net');
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['missing name', { organizationUrl: 'https://acme.lacework.net', ...KEY }, /^name/],
    ['empty name', { name: '', organizationUrl: 'https://acme.lacework.net', ...KEY }, /name/],
    ['long name', { name: 'n'.repeat(101), organizationUrl: 'https://acme.lacework.net', ...KEY }, /name/],
    ['missing keyId', { name: 'a', organizationUrl: 'https://acme.lacework.net', secret: 's' }, /^keyId/],
    ['missing secret', { name: 'a', organizationUrl: 'https://acme.lacework.net', keyId: 'k' }, /^secret/],
    ['missing url', { name: 'a', ...KEY }, /^organizationUrl/],
    [
      'long keyId',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', keyId: 'k'.repeat(129), secret: 's' },
      /keyId/,
    ],
    [
      'keyId with spaces',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', keyId: 'a b', secret: 's' },
      /keyId/,
    ],
    [
      'long secret',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', keyId: 'k', secret: 's'.repeat(257) },
      /secret/,
    ],
    [
      'empty secret',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', keyId: 'k', secret: '' },
      /secret/,
    ],
    [
      'number secret',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', keyId: 'k', secret: 5 },
      /secret/,
    ],
    [
      'poll too short',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', ...KEY, pollIntervalSeconds: 59 },
      /pollIntervalSeconds/,
    ],
    [
      'poll too long',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', ...KEY, pollIntervalSeconds: 86401 },
      /pollIntervalSeconds/,
    ],
    [
      'lookback 0',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', ...KEY, initialLookbackHours: 0 },
      /initialLookbackHours/,
    ],
    [
      'lookback 169',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', ...KEY, initialLookbackHours: 169 },
      /initialLookbackHours/,
    ],
    [
      'budget 0',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', ...KEY, requestsPerHour: 0 },
      /requestsPerHour/,
    ],
    [
      'budget too big',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', ...KEY, requestsPerHour: 100001 },
      /requestsPerHour/,
    ],
    [
      'enabled as string',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', ...KEY, enabled: 'yes' },
      /enabled/,
    ],
    [
      'unknown field',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', ...KEY, colour: 'red' },
      /colour/,
    ],
    [
      'bad severity',
      { name: 'a', organizationUrl: 'https://acme.lacework.net', ...KEY, minSeverity: 'Huge' },
      /minSeverity/,
    ],
    ['file and fields', { name: 'a', apiKeyFile: { ...KEY, account: 'acme' }, keyId: 'k' }, /^apiKeyFile/],
    ['file without keyId', { name: 'a', apiKeyFile: { secret: 's', account: 'acme' } }, /^apiKeyFile\.keyId/],
    [
      'file without secret',
      { name: 'a', apiKeyFile: { keyId: 'k', account: 'acme' } },
      /^apiKeyFile\.secret/,
    ],
    ['file not an object', { name: 'a', apiKeyFile: 'keyfile' }, /apiKeyFile/],
    ['file without account or url', { name: 'a', apiKeyFile: { ...KEY } }, /^organizationUrl/],
  ];

  it.each(invalid)('refuses %s with 400 naming the field, writing nothing', async (_name, body, field) => {
    const res = await app.http.post('/api/v1/integrations').set(asAdmin).send(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(res.body.message).toMatch(field);
    expect(await countRows()).toBe(0);
  });

  const hostileUrls = [
    'http://acme.lacework.net',
    'https://user:pw@acme.lacework.net',
    'https://acme.lacework.net@evil.com',
    'https://evil.com#@acme.lacework.net',
    'https://acme.lacework.net.evil.com',
    'https://evil.com/x.lacework.net',
    'https://evil.com?.lacework.net',
    'https://127.0.0.3',
    'https://2130706433',
    'https://0x7f000001',
    'https://0177.0.0.1',
    'https://127.1',
    'https://[::1]',
    'https://[::ffff:127.0.0.1]',
    'https://169.254.169.254',
    'https://acme.lacework.net:8443',
    'https://evil.com/acme.lacework.net',
    'evil.com/acme.lacework.net',
    'acme',
    'https://acme.lacework.net\\@evil.com',
    'https://lacework.net',
    'ftp://acme.lacework.net',
    `http://127.0.0.2:${80}`,
  ];

  it.each(hostileUrls)(
    'refuses the organization URL %s (400, nothing written, no connection)',
    async (url) => {
      const created = await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ name: 'hostile', organizationUrl: url, ...KEY });
      expect(created.status).toBe(400);
      expect(created.body.message).toMatch(
        /^organizationUrl: .*\(expected https:\/\/<account>\.lacework\.net/,
      );
      const tested = await app.http
        .post('/api/v1/integrations/test')
        .set(asAdmin)
        .send({ name: 'h', organizationUrl: url, ...KEY });
      expect(tested.status).toBe(400);
      expect(await countRows()).toBe(0);
      expect(fake.requests).toHaveLength(0);
    },
  );

  it('rejects a duplicate name with 409, unknown ids with 404 and bad ids with 400', async () => {
    const body = { name: 'Same', organizationUrl: fake.url, ...KEY };
    expect((await app.http.post('/api/v1/integrations').set(asAdmin).send(body)).status).toBe(201);
    const dup = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({ ...body, name: 'same' });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toMatch(/^name: /);
    const unknown = await app.http
      .get('/api/v1/integrations/3f0e6a1c-1d2b-4c3d-9e8f-0a1b2c3d4e5f')
      .set(asViewer);
    expect(unknown.status).toBe(404);
    const bad = await app.http.get('/api/v1/integrations/not-a-uuid').set(asViewer);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('id: must be a UUID');
  });

  it('tests stored and unsaved credentials against Lacework', async () => {
    const start = new Date(Date.now() - 30 * 60_000);
    start.setUTCMinutes(0, 0, 0);
    fake.addAlerts(
      generateAlerts(3, { start, hours: 1, firstId: 500 }).map((a) => ({
        ...a,
        startTime: new Date(Date.now() - 20 * 60_000),
      })),
    );
    const ok = await app.http
      .post('/api/v1/integrations/test')
      .set(asAdmin)
      .send({ name: 'probe', organizationUrl: fake.url, ...KEY });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, latencyMs: expect.any(Number), alertsLastHour: 3 });
    expect(await countRows()).toBe(0);

    const wrong = await app.http
      .post('/api/v1/integrations/test')
      .set(asAdmin)
      .send({ name: 'probe', organizationUrl: fake.url, keyId: KEY.keyId, secret: 'wrong-secret-value-000' });
    expect(wrong.body).toEqual({
      ok: false,
      error: { code: 'invalid_credentials', message: expect.any(String) },
    });
    expect(wrong.body.error.message).not.toContain('wrong-secret-value-000');

    const created = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({ name: 'stored', organizationUrl: fake.url, ...KEY });
    const stored = await app.http.post(`/api/v1/integrations/${created.body.id}/test`).set(asAdmin);
    expect(stored.body).toMatchObject({ ok: true, alertsLastHour: 3 });
  });

  it('reports an unreachable organization as such', async () => {
    const closed = await FakeLacework.start();
    const url = closed.url;
    await closed.close();
    const res = await app.http
      .post('/api/v1/integrations/test')
      .set(asAdmin)
      .send({ name: 'x', organizationUrl: url, ...KEY });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: false, error: { code: 'unreachable', message: expect.any(String) } });
  });

  it('rotates the key with PATCH, keeps sync state, and keeps the secret when none is given', async () => {
    const created = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({ name: 'rotating', organizationUrl: fake.url, ...KEY });
    const id = created.body.id as string;
    await db.query(`UPDATE integrations SET sync_cursor = '2024-05-01T00:00:00Z' WHERE id = $1`, [id]);
    const renamed = await app.http
      .patch(`/api/v1/integrations/${id}`)
      .set(asAdmin)
      .send({ name: 'renamed', pollIntervalSeconds: 600 });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      name: 'renamed',
      pollIntervalSeconds: 600,
      keyId: KEY.keyId,
      secretHint: 'cdef',
    });
    expect((await app.http.post(`/api/v1/integrations/${id}/test`).set(asAdmin)).body.ok).toBe(true);

    const newKey = {
      keyId: 'ACME_NEWKEY_0000000000000000000000',
      secret: '_new_secret_abcdefghijklmnop_wxyz',
    };
    fake.addKey(newKey);
    const rotated = await app.http.patch(`/api/v1/integrations/${id}`).set(asAdmin).send(newKey);
    expect(rotated.body).toMatchObject({ keyId: newKey.keyId, secretHint: 'wxyz' });
    fake.reset();
    expect((await app.http.post(`/api/v1/integrations/${id}/test`).set(asAdmin)).body.ok).toBe(true);
    const tokenCalls = fake.requests.filter((r) => r.kind === 'token');
    expect(tokenCalls.length).toBeGreaterThan(0);
    expect(tokenCalls.every((r) => r.keyId === newKey.keyId)).toBe(true);
    const [row] = await db.query<{ sync_cursor: Date }>(
      'SELECT sync_cursor FROM integrations WHERE id = $1',
      [id],
    );
    expect(row.sync_cursor.toISOString()).toBe('2024-05-01T00:00:00.000Z');

    const badPatch = await app.http
      .patch(`/api/v1/integrations/${id}`)
      .set(asAdmin)
      .send({ requestsPerHour: -1 });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.message).toMatch(/requestsPerHour/);
  });

  it('clears a refused key on rotation: revoked -> failing -> rotated -> not failing, then ok', async () => {
    const oldKey = {
      keyId: 'ACME_REVOKED_00000000000000000000',
      secret: '_soon_revoked_secret_abcdefg_0000',
    };
    fake.addKey(oldKey);
    const id = (
      await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ name: 'revoked', organizationUrl: fake.url, ...oldKey })
    ).body.id as string;
    fake.addKey({ keyId: oldKey.keyId, secret: '_revoked_in_the_console_000000000' });
    const status = async () =>
      (await app.http.get(`/api/v1/integrations/${id}/status`).set(asAdmin)).body as {
        health: string;
        healthReason: string | null;
      };
    const runToEnd = async () => {
      const started = await app.http.post(`/api/v1/integrations/${id}/sync`).set(asAdmin);
      expect(started.status).toBe(202);
      return waitFor(
        async () => {
          const run = await app.http.get(`/api/v1/sync-runs/${started.body.runId}`).set(asAdmin);
          return run.body.status !== 'running' ? (run.body as { status: string }) : undefined;
        },
        30_000,
        'the sync run to end',
      );
    };
    expect((await runToEnd()).status).toBe('failed');
    expect(await status()).toMatchObject({ health: 'failing' });

    const newKey = {
      keyId: 'ACME_ROTATED_000000000000000000000',
      secret: '_rotated_secret_abcdefghijkl_wxyz',
    };
    fake.addKey(newKey);
    expect((await app.http.patch(`/api/v1/integrations/${id}`).set(asAdmin).send(newKey)).status).toBe(200);
    const [row] = await db.query<{ last_auth_error: string | null }>(
      'SELECT last_auth_error FROM integrations WHERE id = $1',
      [id],
    );
    expect(row.last_auth_error).toBeNull();
    expect(await status()).toMatchObject({ health: 'never_synced' });

    expect((await runToEnd()).status).toBe('succeeded');
    expect(await status()).toMatchObject({ health: 'ok', healthReason: null });
  });

  it('never moves the cursor back: a PATCH racing a run that commits a newer cursor keeps the newer one', async () => {
    const destination = await app.http
      .post('/api/v1/destinations')
      .set(asAdmin)
      .send({ name: 'race-sink', url: 'https://pipeline.example/hook' });
    expect(destination.status).toBe(201);
    const id = (
      await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ name: 'racing', organizationUrl: fake.url, ...KEY })
    ).body.id as string;
    await db.query(
      `UPDATE integrations SET sync_cursor = '2024-05-01T00:00:00Z', last_relist_at = '2024-05-01T00:00:00Z'
        WHERE id = $1`,
      [id],
    );
    // Hold the PATCH after it has read the row: its destination check waits for this lock.
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE destinations IN ACCESS EXCLUSIVE MODE');
      const patch = app.http
        .patch(`/api/v1/integrations/${id}`)
        .set(asAdmin)
        .send({ name: 'racing-renamed', destinationId: destination.body.id })
        .then((res) => res);
      await waitFor(
        async () =>
          (
            await db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'destinations'::regclass AND NOT granted`,
            )
          )[0].n > 0,
        10_000,
        'the PATCH to wait for the destinations lock',
      );
      // Meanwhile a run commits (as the sync run repository does when it succeeds).
      await db.query(
        `UPDATE integrations SET sync_cursor = '2024-06-01T00:00:00Z', last_relist_at = '2024-06-01T00:00:00Z',
                next_poll_at = '2030-01-01T00:00:00Z', rate_limited_until = '2030-01-01T00:00:00Z'
          WHERE id = $1`,
        [id],
      );
      await blocker.query('COMMIT');
      const res = await patch;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'racing-renamed', destinationId: destination.body.id });
    } finally {
      await blocker.end();
    }
    const [row] = await db.query<{
      sync_cursor: Date;
      last_relist_at: Date;
      next_poll_at: Date;
      rate_limited_until: Date;
    }>(
      'SELECT sync_cursor, last_relist_at, next_poll_at, rate_limited_until FROM integrations WHERE id = $1',
      [id],
    );
    expect(row.sync_cursor.toISOString()).toBe('2024-06-01T00:00:00.000Z');
    expect(row.last_relist_at.toISOString()).toBe('2024-06-01T00:00:00.000Z');
    expect(row.next_poll_at.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(row.rate_limited_until.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    await db.query('UPDATE integrations SET destination_id = NULL');
    await db.query('DELETE FROM destinations');
  });

  it('sends the stored secret only where it was given: a new organization URL needs the secret again', async () => {
    const other = await FakeLacework.start();
    try {
      other.addKey(KEY);
      const id = (
        await app.http
          .post('/api/v1/integrations')
          .set(asAdmin)
          .send({ name: 'moving', organizationUrl: fake.url, ...KEY })
      ).body.id as string;
      const moved = await app.http
        .patch(`/api/v1/integrations/${id}`)
        .set(asAdmin)
        .send({ organizationUrl: other.url });
      expect(moved.status).toBe(400);
      expect(moved.body.message).toMatch(/^secret: required when organizationUrl changes/);
      const [row] = await db.query<{ organization_url: string }>(
        'SELECT organization_url FROM integrations WHERE id = $1',
        [id],
      );
      expect(row.organization_url).toBe(fake.url);
      expect((await app.http.post(`/api/v1/integrations/${id}/test`).set(asAdmin)).body.ok).toBe(true);
      expect(other.requests).toHaveLength(0);

      const same = await app.http
        .patch(`/api/v1/integrations/${id}`)
        .set(asAdmin)
        .send({ organizationUrl: fake.url, name: 'not moving' });
      expect(same.status).toBe(200);
      const withSecret = await app.http
        .patch(`/api/v1/integrations/${id}`)
        .set(asAdmin)
        .send({ organizationUrl: other.url, secret: KEY.secret });
      expect(withSecret.status).toBe(200);
      expect(withSecret.body.organizationUrl).toBe(other.url);
    } finally {
      await other.close();
    }
  });

  it('deletes softly by default and completely with purge', async () => {
    const a = (
      await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ name: 'a', organizationUrl: fake.url, ...KEY })
    ).body;
    const b = (
      await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ name: 'b', organizationUrl: fake.url, ...KEY })
    ).body;
    expect((await app.http.delete(`/api/v1/integrations/${a.id}`).set(asAdmin)).status).toBe(204);
    expect((await app.http.get(`/api/v1/integrations/${a.id}`).set(asAdmin)).status).toBe(404);
    expect(await countRows()).toBe(2);
    expect((await app.http.delete(`/api/v1/integrations/${b.id}?purge=true`).set(asAdmin)).status).toBe(204);
    expect(await countRows()).toBe(1);
    const again = await app.http
      .post('/api/v1/integrations')
      .set(asAdmin)
      .send({ name: 'a', organizationUrl: fake.url, ...KEY });
    expect(again.status).toBe(201);
  });

  it('lists in pages that together hold every integration once; the viewer may read, not write', async () => {
    for (let i = 0; i < 7; i++) {
      await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ name: `org-${i}`, organizationUrl: fake.url, ...KEY });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { name: string }[]; nextCursor: string | null } } =
        await app.http
          .get('/api/v1/integrations')
          .query(cursor ? { limit: 3, cursor } : { limit: 3 })
          .set(asViewer);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((i: { name: string }) => i.name));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen.sort()).toEqual(['org-0', 'org-1', 'org-2', 'org-3', 'org-4', 'org-5', 'org-6']);
    const badCursor = await app.http.get('/api/v1/integrations?cursor=garbage').set(asViewer);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.message).toMatch(/^cursor/);
    const badLimit = await app.http.get('/api/v1/integrations?limit=501').set(asViewer);
    expect(badLimit.body.message).toMatch(/limit/);
    const write = await app.http.post('/api/v1/integrations').set(asViewer).send({ name: 'x' });
    expect(write.status).toBe(403);
  });
});
