import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LaceworkClient, type LaceworkClientOptions } from '../src/lacework/lacework.client';
import {
  LaceworkAlertGoneError,
  LaceworkAuthError,
  LaceworkError,
  LaceworkForeignOriginError,
  LaceworkRateLimitedError,
  LaceworkRequestError,
  LaceworkUnavailableError,
} from '../src/lacework/lacework.errors';
import {
  type AlertPage,
  type CallEvent,
  type LaceworkConnection,
  SCOPE_NAMES,
  type ScopeName,
} from '../src/lacework/lacework.types';
import { parseLossless, stringifyLossless } from '../src/lacework/lossless-json';
import { InMemoryRequestBudget } from '../src/lacework/in-memory-request-budget';
import { createSafeLookup, type LookupFunction } from '../src/lacework/safe-lookup';
import { FakeLacework, generateAlerts, machineIdFor } from './fakes/fake-lacework';

const KEY = { keyId: 'ACME_0123456789ABCDEF0123456789ABCDEF', secret: '_0123456789abcdef0123456789abcdef' };
const DAY_START = new Date('2024-05-01T00:00:00.000Z');
const DAY = { start: DAY_START, end: new Date('2024-05-02T00:00:00.000Z') };

interface SmallServer {
  url: string;
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

/** A minimal HTTP server on 127.0.0.1 for answers the fake cannot give. */
async function startSmallServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<SmallServer> {
  const requests: SmallServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function tokenAnswer(res: ServerResponse, token = '_small-server-token-0123456789abcdef'): void {
  json(res, 201, { token, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
}

async function collect(pages: AsyncGenerator<AlertPage>): Promise<AlertPage[]> {
  const out: AlertPage[] = [];
  for await (const page of pages) {
    out.push(page);
  }
  return out;
}

function normalised(text: string): string {
  return stringifyLossless(parseLossless(text));
}

/** Every error stays free of the secret and of any token the fake issued. */
function expectNoSecrets(error: unknown, secrets: string[]): void {
  const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
  }
}

describe('LaceworkClient against the fake Lacework', () => {
  let fake: FakeLacework;
  let events: CallEvent[];

  function connection(overrides: Partial<LaceworkConnection> = {}): LaceworkConnection {
    return {
      integrationId: 'int-1',
      organizationUrl: fake.url,
      keyId: KEY.keyId,
      secret: KEY.secret,
      subAccount: null,
      requestsPerHour: 1000,
      ...overrides,
    };
  }

  function client(options: Partial<LaceworkClientOptions> = {}): LaceworkClient {
    return new LaceworkClient({
      budget: new InMemoryRequestBudget({ windowMs: 60_000 }),
      backoffBaseMs: 10,
      backoffCapMs: 50,
      timeoutMs: 5000,
      random: () => 0.5,
      onCall: (event) => events.push(event),
      extraAllowedHosts: ['127.0.0.1'],
      ...options,
    });
  }

  function issuedTokens(): string[] {
    return fake.requests
      .filter((r) => r.kind !== 'token' && r.headers.authorization !== undefined)
      .map((r) => (r.headers.authorization ?? '').replace(/^Bearer /, ''));
  }

  beforeEach(async () => {
    events = [];
    fake = await FakeLacework.start();
    fake.addKey(KEY);
  });

  afterEach(async () => {
    await fake.close();
  });

  describe('tokens', () => {
    it('mints with the key headers and body and sends the token as a bearer token', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 500 }));
      const lacework = client({ tokenExpirySeconds: 7200 });

      await lacework.fetchScope(connection(), '500', 'Details');

      const [tokenCall, scopeCall] = fake.requests;
      expect(tokenCall).toMatchObject({ kind: 'token', method: 'POST', status: 201 });
      expect(tokenCall.headers['x-lw-uaks']).toBe(KEY.secret);
      expect(tokenCall.headers['content-type']).toBe('application/json');
      expect(scopeCall.headers.authorization).toMatch(/^Bearer _[0-9a-f]+$/);
      expect(scopeCall.headers.accept).toBe('application/json');
      expect(scopeCall.headers['account-name']).toBeUndefined();
    });

    it('reuses one token and renews it before it expires, without a 401', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 500 }));
      let skewMs = 0;
      const lacework = client({ now: () => Date.now() + skewMs, tokenRenewBeforeMs: 30_000 });
      const conn = connection();

      await lacework.fetchScope(conn, '500', 'Details');
      await lacework.fetchScope(conn, '500', 'Events');
      expect(fake.count('token')).toBe(1);

      skewMs = 3_600_000 - 29_000;
      await lacework.fetchScope(conn, '500', 'Timeline');

      expect(fake.count('token')).toBe(2);
      expect(fake.requests.filter((r) => r.status === 401)).toHaveLength(0);
      const tokens = issuedTokens();
      expect(tokens[0]).toBe(tokens[1]);
      expect(tokens[2]).not.toBe(tokens[1]);
    });

    it('renews exactly once after a 401, even for concurrent calls', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 500 }));
      const lacework = client();
      const conn = connection();
      await lacework.fetchScope(conn, '500', 'Details');

      fake.expireAllTokens();
      const results = await Promise.all(
        (['Details', 'Investigation', 'Events', 'RelatedAlerts', 'Integrations'] as const).map((scope) =>
          lacework.fetchScope(conn, '500', scope),
        ),
      );

      expect(results.filter((r) => r.kind === 'data').length).toBeGreaterThan(0);
      expect(fake.count('token')).toBe(2);
      expect(fake.requests.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
      expect(events.filter((e) => e.outcome === 'auth_error').length).toBeGreaterThanOrEqual(1);
    });

    it('gives up with LaceworkAuthError when the renewed token is refused too', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 500 }));
      const lacework = client();
      fake.failNext(2, 403);

      const error = await lacework.fetchScope(connection(), '500', 'Details').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(LaceworkAuthError);
      expect(error).toMatchObject({ code: 'forbidden', status: 403, method: 'GET' });
      expect(fake.count('token')).toBe(2);
      expect(fake.count('scope')).toBe(2);
      expectNoSecrets(error, [KEY.secret, ...issuedTokens()]);
    });

    it('refuses a wrong secret with invalid_credentials and never mentions the secret', async () => {
      const lacework = client();
      const wrong = '_wrong-secret-that-must-not-leak-000000';

      const error = await lacework.mintToken(connection({ secret: wrong })).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(LaceworkAuthError);
      expect(error).toMatchObject({
        code: 'invalid_credentials',
        status: 401,
        path: '/api/v2/access/tokens',
      });
      expectNoSecrets(error, [wrong]);
    });

    it('mints a new token when the secret of an integration changes', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 500 }));
      fake.addKey({ keyId: 'OTHER_KEY', secret: '_other-secret-0123456789' });
      const lacework = client();

      await lacework.fetchScope(connection(), '500', 'Details');
      await lacework.fetchScope(
        connection({ keyId: 'OTHER_KEY', secret: '_other-secret-0123456789' }),
        '500',
        'Details',
      );

      expect(fake.requests.filter((r) => r.kind === 'token').map((r) => r.keyId)).toEqual([
        KEY.keyId,
        'OTHER_KEY',
      ]);
    });
  });

  describe('listing', () => {
    it('follows nextPage over several pages keeping its query string', async () => {
      fake.setOptions({ pageSize: 4 });
      const seeds = generateAlerts(10, { start: DAY_START, firstId: 7000, hours: 5 });
      fake.addAlerts(seeds);
      const lacework = client();

      const pages = await collect(lacework.listAlerts(connection(), DAY));

      expect(pages.map((p) => p.pageNumber)).toEqual([1, 2, 3]);
      expect(pages.map((p) => p.alerts.length)).toEqual([4, 4, 2]);
      expect(pages.flatMap((p) => p.alerts.map((a) => a.alertId))).toEqual(seeds.map((s) => s.alertId));
      const lists = fake.requests.filter((r) => r.kind === 'list');
      expect(lists).toHaveLength(3);
      expect(lists.every((r) => r.status === 200)).toBe(true);
      expect(lists[0].query).toBe('startTime=2024-05-01T00:00:00.000Z&endTime=2024-05-02T00:00:00.000Z');
      expect(lists[1].query).toMatch(/^pageToken=[0-9a-f]+&x=1$/);
      expect(lists[2].query).toMatch(/^pageToken=[0-9a-f]+&x=1$/);
    });

    it('maps list records and keeps each record verbatim', async () => {
      fake.addAlerts([
        {
          alertId: '9007199254740993',
          startTime: DAY_START,
          severity: 'High',
          status: 'Open',
          alertName: 'N',
        },
      ]);
      const lacework = client();

      const [page] = await collect(lacework.listAlerts(connection(), DAY));

      expect(page.alerts[0]).toMatchObject({
        alertId: '9007199254740993',
        severity: 'High',
        status: 'Open',
        alertName: 'N',
        startTime: '2024-05-01T00:00:00.000Z',
        endTime: '2024-05-01T01:00:00.000Z',
      });
      expect(page.alerts[0].recordJson).toBe(normalised(fake.listRecordText('9007199254740993')));
      expect(page.alerts[0].recordJson).toContain('"alertId":9007199254740993');
    });

    it('treats a 204 as no alerts', async () => {
      const lacework = client();

      const pages = await collect(lacework.listAlerts(connection(), DAY));

      expect(pages).toEqual([]);
      expect(fake.requests.filter((r) => r.kind === 'list').map((r) => r.status)).toEqual([204]);
    });

    it('yields an empty page for a 200 with no data', async () => {
      fake.setOptions({ emptyAs204: false });
      const lacework = client();

      const pages = await collect(lacework.listAlerts(connection(), DAY));

      expect(pages).toEqual([{ alerts: [], pageNumber: 1 }]);
    });

    it('refuses a window longer than 7 days before sending anything', async () => {
      const lacework = client();
      const start = new Date('2024-05-01T00:00:00.000Z');
      const end = new Date(start.getTime() + 7 * 86_400_000 + 1);

      await expect(collect(lacework.listAlerts(connection(), { start, end }))).rejects.toMatchObject({
        code: 'bad_request',
      });
      expect(fake.requests).toHaveLength(0);
    });

    it('sends Account-Name for a sub-account and sees only its alerts', async () => {
      fake.addAlerts(generateAlerts(3, { start: DAY_START, firstId: 100, subAccount: 'acme-dev' }));
      fake.addAlerts(generateAlerts(2, { start: DAY_START, firstId: 200 }));
      const lacework = client();
      const conn = connection({ subAccount: 'acme-dev' });

      const [page] = await collect(lacework.listAlerts(conn, DAY));
      await lacework.fetchScope(conn, '100', 'Details');

      expect(page.alerts.map((a) => a.alertId)).toEqual(['100', '101', '102']);
      const sent = fake.requests.filter((r) => r.kind !== 'token');
      expect(sent).toHaveLength(2);
      expect(sent.every((r) => r.headers['account-name'] === 'acme-dev')).toBe(true);
    });

    it('counts the last hour in testConnection', async () => {
      const now = Date.now();
      fake.addAlerts(['1', '2', '3'].map((alertId) => ({ alertId, startTime: new Date(now - 10 * 60_000) })));
      fake.addAlerts(['50', '51'].map((alertId) => ({ alertId, startTime: new Date(now - 3 * 3_600_000) })));
      const lacework = client();

      const result = await lacework.testConnection(connection());

      expect(result.alertsLastHour).toBe(3);
      expect(result.latencyMs).toBeGreaterThanOrEqual(0);
      expect(fake.count('token')).toBe(1);
      expect(fake.count('list')).toBeGreaterThanOrEqual(1);
    });
  });

  describe('scopes', () => {
    it('keeps 19-digit integers exact in dataJson', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 4242 }));
      const lacework = client();

      const result = await lacework.fetchScope(connection(), '4242', 'Details');

      expect(result.kind).toBe('data');
      const dataJson = result.kind === 'data' ? result.dataJson : '';
      const mid = machineIdFor('4242');
      expect(mid).toHaveLength(19);
      expect(dataJson).toContain(`"mid":${mid}`);
      expect(dataJson).toBe(normalised(fake.expectedScopeData('4242', 'Details') ?? ''));
    });

    it('keeps [] as [] and maps a 404 to empty', async () => {
      fake.addAlerts([
        { alertId: '31', startTime: DAY_START, scopes: { Investigation: '[]', Timeline: 404 } },
      ]);
      const lacework = client();

      expect(await lacework.fetchScope(connection(), '31', 'Investigation')).toEqual({
        kind: 'data',
        dataJson: '[]',
      });
      expect(await lacework.fetchScope(connection(), '31', 'Timeline')).toEqual({ kind: 'empty' });
      expect(fake.requests.filter((r) => r.kind === 'scope').map((r) => r.query)).toEqual([
        'scope=Investigation',
        'scope=Timeline',
      ]);
    });

    it('throws LaceworkAlertGoneError when Details answers 404', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 77 }));
      fake.removeAlert('77');
      const lacework = client();

      await expect(lacework.fetchScope(connection(), '77', 'Details')).rejects.toBeInstanceOf(
        LaceworkAlertGoneError,
      );
      await expect(lacework.fetchScope(connection(), '77', 'Events')).resolves.toEqual({ kind: 'empty' });
    });

    it('refuses an alert id that is not a decimal integer without sending', async () => {
      const lacework = client();

      await expect(lacework.fetchScope(connection(), '1/../tokens', 'Details')).rejects.toMatchObject({
        code: 'bad_request',
      });
      expect(fake.requests).toHaveLength(0);
    });

    it('maps another 4xx to LaceworkRequestError bad_request', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 8 }));
      fake.failScope('8', 'Events', 400);
      const lacework = client();

      const error = await lacework.fetchScope(connection(), '8', 'Events').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(LaceworkRequestError);
      expect(error).toMatchObject({ code: 'bad_request', status: 400, path: '/api/v2/Alerts/8' });
    });
  });

  describe('failures and limits', () => {
    it('retries 5xx with backoff and reports every attempt', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 9 }));
      const lacework = client();
      fake.failNext(2, 503);

      const result = await lacework.fetchScope(connection(), '9', 'Details');

      expect(result.kind).toBe('data');
      expect(events.map((e) => [e.kind, e.outcome, e.status])).toEqual([
        ['token', 'ok', 201],
        ['scope', 'server_error', 503],
        ['scope', 'server_error', 503],
        ['scope', 'ok', 200],
      ]);
      expect(events.every((e) => e.integrationId === 'int-1' && e.durationMs >= 0)).toBe(true);
    });

    it('throws LaceworkUnavailableError when 5xx outlasts maxAttempts', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 9 }));
      const lacework = client({ maxAttempts: 3 });
      fake.failNext(5, 502);

      const error = await lacework.fetchScope(connection(), '9', 'Details').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(LaceworkUnavailableError);
      expect(error).toMatchObject({ code: 'unreachable', status: 502 });
      expect(fake.count('scope')).toBe(3);
    });

    it('waits out RateLimit-Reset after a 429 before sending again', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 9 }));
      const budget = new InMemoryRequestBudget({ windowMs: 60_000 });
      const lacework = client({ budget });
      const conn = connection();
      await lacework.fetchScope(conn, '9', 'Details');
      fake.failNext(1, 429, { 'RateLimit-Reset': '1' });

      const result = await lacework.fetchScope(conn, '9', 'Events');

      expect(['data', 'empty']).toContain(result.kind);
      const scopeCalls = fake.requests.filter((r) => r.kind === 'scope');
      expect(scopeCalls.map((r) => r.status)).toEqual([200, 429, expect.any(Number)]);
      expect(scopeCalls[2].at - scopeCalls[1].at).toBeGreaterThanOrEqual(1000);
      expect(events.some((e) => e.outcome === 'rate_limited' && e.status === 429)).toBe(true);
    });

    it('throws LaceworkRateLimitedError with retryAt and blocks the budget when attempts run out', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 9 }));
      const budget = new InMemoryRequestBudget({ windowMs: 60_000 });
      const lacework = client({ budget, maxAttempts: 1 });
      fake.failNext(1, 429, { 'Retry-After': '1', 'RateLimit-Reset': '2' });
      const before = Date.now();

      const error = await lacework.fetchScope(connection(), '9', 'Details').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(LaceworkRateLimitedError);
      const retryAt = (error as LaceworkRateLimitedError).retryAt.getTime();
      expect(retryAt).toBeGreaterThanOrEqual(before + 2000);
      const usage = await budget.usage(connection());
      expect(usage.blockedUntil?.getTime()).toBe(retryAt);
    });

    it('does not wait in-call for a 429 asking for longer than rateLimitMaxWaitMs', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 9 }));
      const budget = new InMemoryRequestBudget({ windowMs: 60_000 });
      const lacework = client({ budget, rateLimitMaxWaitMs: 10_000 });
      fake.failNext(1, 429, { 'RateLimit-Reset': '600' });

      const error = await lacework.fetchScope(connection(), '9', 'Details').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(LaceworkRateLimitedError);
      expect(fake.count('scope')).toBe(1);
      expect((await budget.usage(connection())).blockedUntil).not.toBeNull();
    });

    it('never sends more than requestsPerHour within the budget window', async () => {
      fake.addAlerts(generateAlerts(1, { start: DAY_START, firstId: 9 }));
      // The fake's window is shorter than the budget's so transit jitter cannot turn into a 429.
      fake.setOptions({ rateLimit: { limit: 4, windowSeconds: 1 } });
      const lacework = client({
        budget: new InMemoryRequestBudget({ windowMs: 1500 }),
        budgetWaitReportMs: 100,
      });
      const conn = connection({ requestsPerHour: 4 });
      const scopes: ScopeName[] = [...SCOPE_NAMES, 'Details'];

      const results = await Promise.all(scopes.map((scope) => lacework.fetchScope(conn, '9', scope)));

      expect(results).toHaveLength(7);
      expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(0);
      const arrivals = fake.requests.map((r) => r.at).sort((a, b) => a - b);
      expect(arrivals).toHaveLength(8);
      for (let i = 0; i + 4 < arrivals.length; i += 1) {
        expect(arrivals[i + 4] - arrivals[i]).toBeGreaterThanOrEqual(1000);
      }
      expect(events.some((e) => e.outcome === 'budget_wait')).toBe(true);
    });
  });
});

describe('LaceworkClient against hand-made answers', () => {
  const servers: SmallServer[] = [];
  let events: CallEvent[];

  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<SmallServer> {
    const server = await startSmallServer(handler);
    servers.push(server);
    return server;
  }

  function client(options: Partial<LaceworkClientOptions> = {}): LaceworkClient {
    return new LaceworkClient({
      budget: new InMemoryRequestBudget({ windowMs: 60_000 }),
      backoffBaseMs: 10,
      backoffCapMs: 50,
      onCall: (event) => events.push(event),
      extraAllowedHosts: ['127.0.0.1'],
      ...options,
    });
  }

  function connection(
    organizationUrl: string,
    overrides: Partial<LaceworkConnection> = {},
  ): LaceworkConnection {
    return {
      integrationId: 'int-2',
      organizationUrl,
      keyId: KEY.keyId,
      secret: KEY.secret,
      subAccount: null,
      requestsPerHour: 1000,
      ...overrides,
    };
  }

  beforeEach(() => {
    events = [];
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('refuses a nextPage on a foreign origin and sends nothing there', async () => {
    const foreign = await serve((_req, res) => json(res, 200, { data: [] }));
    const origin = await serve((req, res) => {
      if (req.url?.startsWith('/api/v2/access/tokens')) {
        tokenAnswer(res);
        return;
      }
      json(res, 200, {
        paging: { rows: 1, totalRows: 2, urls: { nextPage: `${foreign.url}/api/v2/Alerts/abc?pageToken=1` } },
        data: [{ alertId: 1, severity: 'High', status: 'Open', startTime: '2024-05-01T00:00:00.000Z' }],
      });
    });
    const lacework = client();

    const error = await collect(lacework.listAlerts(connection(origin.url), DAY)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LaceworkForeignOriginError);
    expect(error).toBeInstanceOf(LaceworkRequestError);
    expect(foreign.requests).toHaveLength(0);
    expect(origin.requests.map((r) => r.method)).toEqual(['POST', 'GET']);
  });

  it('refuses a nextPage that repeats an earlier page instead of looping', async () => {
    const origin: SmallServer = await serve((req, res) => {
      if (req.url?.startsWith('/api/v2/access/tokens')) {
        tokenAnswer(res);
        return;
      }
      json(res, 200, { paging: { urls: { nextPage: `${origin.url}/api/v2/Alerts/p?n=1` } }, data: [] });
    });
    const lacework = client();

    await expect(collect(lacework.listAlerts(connection(origin.url), DAY))).rejects.toMatchObject({
      code: 'bad_response',
    });
    expect(origin.requests).toHaveLength(3);
  });

  it('turns a 200 that is not JSON or lacks data into bad_response', async () => {
    const origin = await serve((req, res) => {
      if (req.url?.startsWith('/api/v2/access/tokens')) {
        tokenAnswer(res);
      } else if (req.url?.includes('scope=Details')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>maintenance</html>');
      } else {
        json(res, 200, { paging: {}, items: [] });
      }
    });
    const lacework = client();
    const conn = connection(origin.url);

    await expect(lacework.fetchScope(conn, '1', 'Details')).rejects.toMatchObject({ code: 'bad_response' });
    await expect(lacework.fetchScope(conn, '1', 'Events')).rejects.toMatchObject({ code: 'bad_response' });
    await expect(collect(lacework.listAlerts(conn, DAY))).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('turns a token answer without a token into bad_response', async () => {
    const origin = await serve((_req, res) => json(res, 201, { expiresAt: '2024-05-01T13:00:00.000Z' }));

    await expect(client().mintToken(connection(origin.url))).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('keeps the secret and the token out of errors even when Lacework echoes them', async () => {
    const token = '_echoed-token-abcdef0123456789abcdef0123456789';
    const origin = await serve((req, res) => {
      if (req.url?.startsWith('/api/v2/access/tokens')) {
        tokenAnswer(res, token);
        return;
      }
      json(res, 400, { message: `bad request for secret ${KEY.secret} with token ${token}` });
    });

    const error = await client()
      .fetchScope(connection(origin.url), '5', 'Events')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LaceworkRequestError);
    expect((error as Error).message).toContain('bad request for secret');
    expectNoSecrets(error, [KEY.secret, token]);
  });

  it('times out, retries and then throws LaceworkUnavailableError', async () => {
    const origin = await serve((req, res) => {
      if (req.url?.startsWith('/api/v2/access/tokens')) {
        tokenAnswer(res);
      }
      // Other requests are never answered.
    });
    const lacework = client({ timeoutMs: 150, maxAttempts: 2 });

    const error = await lacework.fetchScope(connection(origin.url), '5', 'Events').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LaceworkUnavailableError);
    expect(events.filter((e) => e.kind === 'scope').map((e) => e.outcome)).toEqual(['timeout', 'timeout']);
    expectNoSecrets(error, [KEY.secret, '_small-server-token-0123456789abcdef']);
  });

  it('retries a refused connection and then throws LaceworkUnavailableError', async () => {
    const gone = await startSmallServer(() => undefined);
    await gone.close();
    const lacework = client({ maxAttempts: 2 });

    const error = await lacework.mintToken(connection(gone.url)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LaceworkUnavailableError);
    expect(events.map((e) => e.outcome)).toEqual(['network_error', 'network_error']);
  });

  it('treats a redirect as a bad answer instead of following it', async () => {
    const target = await serve((_req, res) => tokenAnswer(res));
    const origin = await serve((_req, res) => {
      res.writeHead(302, { location: `${target.url}/api/v2/access/tokens` });
      res.end();
    });

    const error = await client()
      .mintToken(connection(origin.url))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LaceworkError);
    expect(target.requests).toHaveLength(0);
  });

  it('resolves names through the safe lookup: lacework.net to a private address is refused', async () => {
    const origin = await serve((_req, res) => tokenAnswer(res));
    const { port } = new URL(origin.url);
    const resolver: LookupFunction = (_hostname, _options, callback) =>
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    const lacework = client({
      lookup: createSafeLookup(resolver),
      maxAttempts: 3,
      extraAllowedHosts: [`acme.lacework.net:${port}`, `lacework-fake.test:${port}`],
    });

    const refused = await lacework
      .mintToken(connection(`http://acme.lacework.net:${port}`))
      .catch((e: unknown) => e);
    const allowed = await lacework.mintToken(connection(`http://lacework-fake.test:${port}`));

    expect(refused).toBeInstanceOf(LaceworkUnavailableError);
    expect(events[0]).toMatchObject({ outcome: 'network_error' });
    expect(allowed.token).toBe('_small-server-token-0123456789abcdef');
    expect(origin.requests).toHaveLength(1);
  });

  it('bounds a whole request by LACEWORK_TIMEOUT_MS, even when the answer drips in one byte at a time', async () => {
    const timers = new Set<NodeJS.Timeout>();
    const origin = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const drip = (): void => {
        if (!res.destroyed) {
          res.write(' ');
          const timer = setTimeout(drip, 200);
          timers.add(timer);
        }
      };
      drip();
    });
    const started = Date.now();
    const error = await client({ timeoutMs: 600, maxAttempts: 1 })
      .mintToken(connection(origin.url))
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    timers.forEach((timer) => clearTimeout(timer));

    expect(error).toBeInstanceOf(LaceworkUnavailableError);
    expect((error as Error).message).toMatch(/timed out/);
    expect(events[0]).toMatchObject({ outcome: 'timeout' });
    // The old client waited for the headers only; the drip would have held it for as long as the server liked.
    expect(elapsed).toBeLessThan(1_800);
  });

  it('applies the current host policy to a stored organization URL before connecting', async () => {
    const origin = await serve((_req, res) => tokenAnswer(res));
    const { port } = new URL(origin.url);

    // A row written by hand, or a host since removed from LACEWORK_EXTRA_ALLOWED_HOSTS.
    const removed = await client({ extraAllowedHosts: [] })
      .mintToken(connection(origin.url))
      .catch((e: unknown) => e);
    const otherPort = await client({ extraAllowedHosts: ['127.0.0.1:1'] })
      .mintToken(connection(origin.url))
      .catch((e: unknown) => e);
    const metadata = await client({ extraAllowedHosts: [] })
      .mintToken(connection('http://169.254.169.254'))
      .catch((e: unknown) => e);
    const allowed = await client({ extraAllowedHosts: [`127.0.0.1:${port}`] }).mintToken(
      connection(origin.url),
    );

    for (const refused of [removed, otherPort, metadata]) {
      expect(refused).toBeInstanceOf(LaceworkRequestError);
      expect((refused as LaceworkRequestError).code).toBe('bad_request');
      expect((refused as Error).message).toMatch(/organization URL is not allowed/);
    }
    expect(allowed.token).toBe('_small-server-token-0123456789abcdef');
    expect(origin.requests).toHaveLength(1);
  });
});
