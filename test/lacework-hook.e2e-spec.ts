import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEnv } from '../src/config/env.validation';
import { AlertVersionRepository } from '../src/enrichment/alert-version.repository';
import { FakeDownstream } from './fakes/fake-downstream';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { createIntegration, KEY } from './setup/sync-helpers';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, sleep, waitFor } from './setup/wait';

const SECRET = 'whsec_' + Buffer.alloc(32, 6).toString('base64');
const HOUR = 3_600_000;

const APP_ENV = {
  SCHEDULER_ENABLED: 'true',
  POLLING_ENABLED: 'true',
  SCHEDULER_TICK_MS: '200',
  LACEWORK_RETRY_BASE_MS: '5',
  LEASE_SECONDS: '5',
  AUTH_FAILURES_PER_MINUTE: '4',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
};

describe("Lacework's webhook alert channel as a trigger", () => {
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;
  let downstream: FakeDownstream;
  let nextId = 90_000;

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
    lacework.sendHintsTo(null);
    await lacework.close();
    await downstream.close();
  });

  /** An integration polled every hour whose first scheduled run is over, with a hook token. */
  const hookedIntegration = async (): Promise<{ id: string; channelUrl: string; token: string }> => {
    const destination = await app.http
      .post('/api/v1/destinations')
      .set(asAdmin)
      .send({ name: `dest-${nextId++}`, url: `${downstream.url}/ingest`, signingSecret: SECRET });
    const id = await createIntegration(app, lacework, {
      destinationId: destination.body.id,
      pollIntervalSeconds: 3600,
      // What is measured here is the hint, not the request budget's pacing (see request-budget.e2e-spec.ts).
      requestsPerHour: 100_000,
    });
    await waitFor(
      async () => {
        const [row] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM sync_runs WHERE integration_id = $1 AND status <> 'running'`,
          [id],
        );
        return row.n >= 1;
      },
      20_000,
      'the first scheduled run',
    );
    const created = await app.http.post(`/api/v1/integrations/${id}/hook-token`).set(asAdmin);
    expect(created.status).toBe(201);
    return { id, channelUrl: created.body.channelUrl as string, token: created.body.token as string };
  };

  const listCalls = (): number => lacework.count('list');

  /** Hints are written just after the hook answers: the hook's status once it counts `n` of them. */
  const hookOnceReceived = (id: string, n: number): Promise<Record<string, any>> =>
    waitFor(
      async () => {
        const res = await app.http.get(`/api/v1/integrations/${id}/hook`).set(asViewer);
        return res.body.hintsReceived === n ? (res.body as Record<string, any>) : undefined;
      },
      10_000,
      `${n} hints recorded`,
    );

  it('gives each integration its own token, shown once inside the channel URL', async () => {
    const { id, channelUrl, token } = await hookedIntegration();
    expect(token).toMatch(/^lwh_[A-Za-z0-9_-]{43}$/);
    expect(channelUrl).toBe(`${app.baseUrl}/api/v1/hooks/lacework/${id}?token=${token}`);
    const status = await app.http.get(`/api/v1/integrations/${id}/hook`).set(asViewer);
    expect(status.body).toMatchObject({ configured: true, hintsReceived: 0, lastHintAt: null });
    expect(JSON.stringify(status.body)).not.toContain(token);
    const [stored] = await db.query<{ token_sealed: string }>(
      `SELECT token_sealed FROM lacework_hooks WHERE integration_id = $1`,
      [id],
    );
    expect(stored.token_sealed).not.toContain(token);
    expect((await app.http.post(`/api/v1/integrations/${id}/hook-token`).set(asViewer)).status).toBe(403);
  });

  it('delivers a Critical alert on its hint, without waiting for the hourly poll', async () => {
    const { id, channelUrl } = await hookedIntegration();
    lacework.sendHintsTo({ url: channelUrl });
    const alertId = String(nextId++);
    const created = Date.now();
    await lacework.createAlert({ alertId, severity: 'Critical', startTime: hourStart(0) });
    expect(lacework.hintsSent.map((h) => h.status)).toEqual([202]);
    await waitFor(
      () => downstream.uniqueIds().has(`lw_${id}_${alertId}_v1`),
      15_000,
      'the hinted alert delivered',
    );
    expect(Date.now() - created).toBeLessThan(15_000);
    const [version] = await db.query<{ hinted_at: Date | null }>(
      `SELECT hinted_at FROM alert_versions WHERE integration_id = $1 AND alert_id = $2`,
      [id, alertId],
    );
    expect(version.hinted_at).not.toBeNull();
    const hook = await app.http.get(`/api/v1/integrations/${id}/hook`).set(asViewer);
    expect(hook.body).toMatchObject({
      hintsReceived: 1,
      lastHintAlertId: alertId,
      lastHintSeverity: 'Critical',
      lastHintTest: false,
      lastHintAgeSeconds: expect.any(Number),
    });
    const status = await app.http.get(`/api/v1/integrations/${id}/status`).set(asViewer);
    expect(status.body.lastHintAt).toBe(hook.body.lastHintAt);
    expect(status.body.lastHintAgeSeconds).toEqual(expect.any(Number));
    // Nothing of the hint's body is in the document: it comes from the API.
    const document = downstream.deliveredBodies().get(`lw_${id}_${alertId}_v1`) as string;
    expect(document).not.toContain('event_title');
  });

  it("records Lacework's Test message as a test and polls nothing for it", async () => {
    const { id, channelUrl } = await hookedIntegration();
    const [before] = await db.query<{ next_poll_at: Date }>(
      `SELECT next_poll_at FROM integrations WHERE id = $1`,
      [id],
    );
    const res = await fetch(channelUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        event_title: 'Test Event',
        event_link: 'https://login.lacework.net',
        lacework_account: 'MY_ACCOUNT',
        event_source: 'TestEventSource',
        event_description: 'This is a test Message.',
        event_timestamp: '08 Mar 2023 00:04 GMT',
        event_type: 'TestEvent',
        event_id: '0',
        event_severity: '0',
      }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, test: true });
    await hookOnceReceived(id, 1);
    const [after] = await db.query<{ next_poll_at: Date }>(
      `SELECT next_poll_at FROM integrations WHERE id = $1`,
      [id],
    );
    expect(after.next_poll_at).toEqual(before.next_poll_at);
    const hook = await hookOnceReceived(id, 1);
    expect(hook).toMatchObject({ hintsReceived: 1, lastHintTest: true, nextHintPollAt: null });
  });

  it('coalesces a flood of hints into one poll per interval', async () => {
    const { id, channelUrl } = await hookedIntegration();
    const listsBefore = listCalls();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(channelUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ event_id: String(500_000 + i), event_severity: '1' }),
        }).then((r) => r.status),
      ),
    );
    expect(answers.every((s) => s === 202)).toBe(true);
    await waitFor(() => listCalls() > listsBefore, 10_000, 'the hinted poll');
    await sleep(1_500);
    expect(listCalls() - listsBefore).toBe(1);
    const hook = await hookOnceReceived(id, 30);
    // The next hint-triggered poll is planned one coalescing interval (60 s) after the first.
    expect(Date.parse(hook.nextHintPollAt as string)).toBeGreaterThan(Date.now() + 50_000);
  });

  it('answers a forged or replayed hint with a wrong token 401, calls Lacework for nothing, and throttles', async () => {
    const { id, channelUrl, token } = await hookedIntegration();
    lacework.addAlerts(generateAlerts(1, { start: hourStart(HOUR), hours: 1, firstId: nextId++ }));
    const rotated = await app.http.post(`/api/v1/integrations/${id}/hook-token`).set(asAdmin);
    const requestsBefore = lacework.requests.length;
    const hint = (url: string): Promise<number> =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event_id: '123', event_severity: '1' }),
      }).then((r) => r.status);
    // The replayed URL carries the token that was rotated away; the forged ones guess.
    expect(await hint(channelUrl)).toBe(401);
    expect(await hint(channelUrl.replace(token, `${token.slice(0, -1)}x`))).toBe(401);
    expect(await hint(`${app.baseUrl}/api/v1/hooks/lacework/${id}`)).toBe(401);
    expect(
      await hint(`${app.baseUrl}/api/v1/hooks/lacework/00000000-0000-4000-8000-000000000000?token=${token}`),
    ).toBe(401);
    // Four failures from this address in a minute: even the right token is refused for now.
    expect(await hint(rotated.body.channelUrl as string)).toBe(429);
    await sleep(500);
    expect(lacework.requests.length).toBe(requestsBefore);
    // The throttle now refuses this address everywhere; read the count from the database.
    const [hook] = await db.query<{ n: string }>(
      `SELECT hints_received::text AS n FROM lacework_hooks WHERE integration_id = $1`,
      [id],
    );
    expect(hook.n).toBe('0');
  });
});

describe('a hinted alert goes first in the enrichment queue', () => {
  it('is claimed before more severe alerts listed with it', async () => {
    const db = await createTestDatabase();
    const app = await startTestApp(db.url);
    const lacework = await FakeLacework.start();
    try {
      lacework.addKey(KEY);
      lacework.addAlerts([
        { alertId: '61001', severity: 'Critical', startTime: hourStart(0) },
        { alertId: '61002', severity: 'High', startTime: hourStart(0) },
        { alertId: '61003', severity: 'Low', startTime: hourStart(0) },
      ]);
      const id = await createIntegration(app, lacework);
      const hook = await app.http.post(`/api/v1/integrations/${id}/hook-token`).set(asAdmin);
      // The hint arrives before the listing; the scheduler is off, so nothing is enriched meanwhile.
      const answer = await fetch(hook.body.channelUrl as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event_id: '61003', event_severity: '4' }),
      });
      expect(answer.status).toBe(202);
      await waitFor(
        async () => (await db.query(`SELECT 1 FROM alert_hints WHERE alert_id = '61003'`)).length === 1,
        10_000,
        'the hint recorded',
      );
      const started = await app.http.post(`/api/v1/integrations/${id}/sync`).set(asAdmin);
      await waitFor(
        async () =>
          (await app.http.get(`/api/v1/sync-runs/${started.body.runId}`).set(asAdmin)).body.status !==
          'running',
        20_000,
        'the listing',
      );
      const claimed = await app.app.get(AlertVersionRepository).claim(id, 1, 'test-claim', 5);
      expect(claimed.map((c) => c.alertId)).toEqual(['61003']);
      const next = await app.app.get(AlertVersionRepository).claim(id, 2, 'test-claim-2', 5);
      expect(next.map((c) => c.alertId)).toEqual(['61001', '61002']);
    } finally {
      await lacework.close();
      await app.close();
      await db.drop();
    }
  });
});

describe('TLS: the service serves HTTPS itself', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lc-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const base = {
    DATABASE_URL: 'postgres://127.0.0.1/x',
    ADMIN_API_TOKEN: 'a'.repeat(40),
    SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
  };

  it('needs both files, readable, a certificate and its key', () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    expect(validateEnv({ ...base, TLS_CERT_FILE: cert, TLS_KEY_FILE: key }).tls).not.toBeNull();
    expect(() => validateEnv({ ...base, TLS_CERT_FILE: cert })).toThrow(
      /TLS_KEY_FILE: required with TLS_CERT_FILE/,
    );
    expect(() =>
      validateEnv({ ...base, TLS_CERT_FILE: join(dir, 'missing.pem'), TLS_KEY_FILE: key }),
    ).toThrow(/TLS_CERT_FILE: cannot read .*missing\.pem \(ENOENT\)/);
    expect(() => validateEnv({ ...base, TLS_CERT_FILE: key, TLS_KEY_FILE: key })).toThrow(
      /TLS_CERT_FILE: .* is not a PEM certificate/,
    );
  });

  it('takes a hint over https, verified against the generated certificate', async () => {
    const db = await createTestDatabase();
    const app = await startTestApp(db.url, {
      TLS_CERT_FILE: join(dir, 'cert.pem'),
      TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    const lacework = await FakeLacework.start();
    try {
      expect(app.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      lacework.addKey(KEY);
      // supertest would not trust the generated CA: node's https client with `ca` does.
      const integrationId = await postJson(
        app.baseUrl,
        '/api/v1/integrations',
        readFileSync(join(dir, 'cert.pem')),
        {
          name: 'tls-org',
          organizationUrl: lacework.url,
          ...KEY,
        },
      ).then((r) => r.id as string);
      const hook = await postJson(
        app.baseUrl,
        `/api/v1/integrations/${integrationId}/hook-token`,
        readFileSync(join(dir, 'cert.pem')),
        {},
      );
      expect(hook.channelUrl).toMatch(/^https:\/\//);
      lacework.sendHintsTo({ url: hook.channelUrl as string, ca: readFileSync(join(dir, 'cert.pem')) });
      await lacework.createAlert({ alertId: '424242', severity: 'Critical', startTime: hourStart(0) });
      expect(lacework.hintsSent.map((h) => h.status)).toEqual([202]);
    } finally {
      await lacework.close();
      await app.close();
      await db.drop();
    }
  });
});

async function postJson(
  baseUrl: string,
  path: string,
  ca: Buffer,
  body: unknown,
): Promise<Record<string, unknown>> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${path}`,
      { method: 'POST', ca, headers: { ...asAdmin, 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          if ((res.statusCode ?? 0) >= 300) {
            reject(new Error(`${res.statusCode}: ${JSON.stringify(parsed)}`));
          } else {
            resolve(parsed);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
