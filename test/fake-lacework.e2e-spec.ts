import {
  FakeLacework,
  FakeLaceworkOptions,
  generateAlerts,
  machineIdFor,
  SCOPE_NAMES,
} from './fakes/fake-lacework';

const KEY = { keyId: 'ACME_0123456789ABCDEF', secret: '_0123456789abcdef', account: 'acme.lacework.net' };
const DAY_START = new Date('2024-05-01T00:00:00.000Z');
const WINDOW = 'startTime=2024-05-01T00:00:00.000Z&endTime=2024-05-02T00:00:00.000Z';

interface Paging {
  rows: number;
  totalRows: number;
  urls: { nextPage?: string | null };
}

interface ListBody {
  paging: Paging;
  data: { alertId: number; startTime: string; status: string; severity: string }[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('FakeLacework over HTTP', () => {
  let fake: FakeLacework;

  async function startFake(options: FakeLaceworkOptions = {}): Promise<FakeLacework> {
    fake = await FakeLacework.start(options);
    fake.addKey(KEY);
    return fake;
  }

  async function mintToken(body: object = { keyId: KEY.keyId }, secret = KEY.secret): Promise<Response> {
    return fetch(`${fake.url}/api/v2/access/tokens`, {
      method: 'POST',
      headers: { 'X-LW-UAKS': secret, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async function token(): Promise<string> {
    const response = await mintToken();
    expect(response.status).toBe(201);
    return ((await response.json()) as { token: string }).token;
  }

  async function get(
    pathOrUrl: string,
    bearer: string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const target = pathOrUrl.startsWith('http') ? pathOrUrl : `${fake.url}${pathOrUrl}`;
    return fetch(target, { headers: { Authorization: `Bearer ${bearer}`, ...headers } });
  }

  afterEach(async () => {
    await fake.close();
  });

  describe('tokens', () => {
    it('mints a token for the right secret and refuses wrong ones with a message', async () => {
      await startFake({ tokenTtlSeconds: 600 });
      const before = Date.now();
      const ok = await mintToken({ keyId: KEY.keyId, expiryTime: 3600 });
      const after = Date.now();
      expect(ok.status).toBe(201);
      const body = (await ok.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['expiresAt', 'token']);
      expect(body.expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const expiresAt = Date.parse(body.expiresAt as string);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000);
      expect(expiresAt).toBeLessThanOrEqual(after + 600_000);

      const wrongSecret = await mintToken({ keyId: KEY.keyId }, 'nope');
      expect(wrongSecret.status).toBe(401);
      expect(await wrongSecret.json()).toEqual({ message: expect.any(String) });
      const unknownKey = await mintToken({ keyId: 'OTHER' });
      expect(unknownKey.status).toBe(401);
      const tooLong = await mintToken({ keyId: KEY.keyId, expiryTime: 86_401 });
      expect(tooLong.status).toBe(400);
    });

    it('accepts Bearer and bare tokens and refuses missing, unknown and expired ones', async () => {
      await startFake();
      const bearer = await token();
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(204);
      const bare = await fetch(`${fake.url}/api/v2/Alerts?${WINDOW}`, { headers: { Authorization: bearer } });
      expect(bare.status).toBe(204);

      const missing = await fetch(`${fake.url}/api/v2/Alerts?${WINDOW}`);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ message: expect.any(String) });
      expect((await get(`/api/v2/Alerts?${WINDOW}`, 'made-up')).status).toBe(401);

      fake.expireAllTokens();
      const expired = await get(`/api/v2/Alerts?${WINDOW}`, bearer);
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual({ message: expect.any(String) });
    });

    it('lets a token lapse after tokenTtlSeconds', async () => {
      await startFake({ tokenTtlSeconds: 0.05 });
      const bearer = await token();
      await sleep(120);
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(401);
    });
  });

  describe('listing', () => {
    it('pages through three pages by an absolute nextPage that keeps its query string', async () => {
      await startFake({ pageSize: 500 });
      fake.addAlerts(generateAlerts(1200, { start: DAY_START, hours: 24 }));
      const bearer = await token();

      const first = await get(`/api/v2/Alerts?${WINDOW}`, bearer);
      expect(first.status).toBe(200);
      let body = (await first.json()) as ListBody;
      const seen = [...body.data];
      const pages: Paging[] = [body.paging];
      while (typeof body.paging.urls.nextPage === 'string') {
        const next = body.paging.urls.nextPage;
        expect(next.startsWith(`${fake.url}/api/v2/Alerts/`)).toBe(true);
        expect(new URL(next).search).not.toBe('');
        const dropped = await get(next.split('?')[0], bearer);
        expect(dropped.status).toBe(400);
        const response = await get(next, bearer);
        expect(response.status).toBe(200);
        body = (await response.json()) as ListBody;
        pages.push(body.paging);
        seen.push(...body.data);
      }
      expect(pages.map((p) => p.rows)).toEqual([500, 500, 200]);
      expect(pages.every((p) => p.totalRows === 1200)).toBe(true);
      expect(body.paging.urls.nextPage ?? null).toBeNull();
      expect(new Set(seen.map((a) => a.alertId)).size).toBe(1200);
      const order = seen.map((a) => `${a.startTime}|${a.alertId}`);
      expect(order).toEqual([...order].sort());
      expect(fake.count('list')).toBe(3 + 2);
    });

    it('keeps later pages consistent with the snapshot taken on the first page', async () => {
      await startFake({ pageSize: 2 });
      fake.addAlerts(generateAlerts(3, { start: DAY_START, hours: 1 }));
      const bearer = await token();
      const first = (await (await get(`/api/v2/Alerts?${WINDOW}`, bearer)).json()) as ListBody;
      fake.addAlerts([{ alertId: '1', startTime: DAY_START }]);
      fake.updateAlert('1000002', { status: 'Closed' });
      const second = (await (await get(first.paging.urls.nextPage as string, bearer)).json()) as ListBody;
      expect(second.paging.totalRows).toBe(3);
      expect(second.data.map((a) => a.alertId)).toEqual([1000002]);
      expect(second.data[0].status).toBe('Closed');
      expect(fake.listRecordText('1000002')).toContain('"status":"Closed"');
    });

    it('serves list records in the documented shape with alertId as a number', async () => {
      await startFake();
      fake.addAlerts(generateAlerts(40, { start: DAY_START, hours: 4 }));
      const bearer = await token();
      const text = await (await get(`/api/v2/Alerts?${WINDOW}`, bearer)).text();
      const data = (JSON.parse(text) as { data: Record<string, unknown>[] }).data;
      expect(data).toHaveLength(40);
      for (const record of data) {
        expect(typeof record.alertId).toBe('number');
        expect(record.lastUserUpdatedTime).toBe('0');
        expect(Date.parse(record.endTime as string) - Date.parse(record.startTime as string)).toBe(3_600_000);
        expect(record.derivedFields).toHaveProperty('sub_category');
        expect(text).toContain(fake.listRecordText(String(record.alertId)));
      }
      expect(data.some((record) => !('policyId' in record))).toBe(true);
      expect(data.some((record) => 'policyId' in record)).toBe(true);
    });

    it('answers 204 with no body for an empty window, or 200 with empty data when asked', async () => {
      await startFake();
      const bearer = await token();
      const empty = await get(`/api/v2/Alerts?${WINDOW}`, bearer);
      expect(empty.status).toBe(204);
      expect(await empty.text()).toBe('');

      fake.setOptions({ emptyAs204: false });
      const zero = await get(`/api/v2/Alerts?${WINDOW}`, bearer);
      expect(zero.status).toBe(200);
      expect(await zero.json()).toEqual({
        paging: { rows: 0, totalRows: 0, urls: { nextPage: null } },
        data: [],
      });
    });

    it('refuses missing, malformed, inverted and over-long windows with 400', async () => {
      await startFake();
      const bearer = await token();
      const bad = [
        '',
        'startTime=2024-05-01T00:00:00.000Z',
        'startTime=yesterday&endTime=2024-05-02T00:00:00.000Z',
        'startTime=2024-05-02T00:00:00.000Z&endTime=2024-05-01T00:00:00.000Z',
        'startTime=2024-05-01T00:00:00.000Z&endTime=2024-05-01T00:00:00.000Z',
        'startTime=2024-05-01T00:00:00.000Z&endTime=2024-05-08T00:00:00.001Z',
      ];
      for (const query of bad) {
        const response = await get(`/api/v2/Alerts?${query}`, bearer);
        expect({ query, status: response.status }).toEqual({ query, status: 400 });
        expect(await response.json()).toEqual({ message: expect.any(String) });
      }
      const sevenDays = 'startTime=2024-05-01T00:00:00.000Z&endTime=2024-05-08T00:00:00.000Z';
      expect((await get(`/api/v2/Alerts?${sevenDays}`, bearer)).status).toBe(204);
    });

    it('expires page tokens after pageTokenTtlSeconds', async () => {
      await startFake({ pageSize: 1, pageTokenTtlSeconds: 0.05 });
      fake.addAlerts(generateAlerts(2, { start: DAY_START, hours: 1 }));
      const bearer = await token();
      const first = (await (await get(`/api/v2/Alerts?${WINDOW}`, bearer)).json()) as ListBody;
      await sleep(120);
      const late = await get(first.paging.urls.nextPage as string, bearer);
      expect(late.status).toBe(400);
      expect(((await late.json()) as { message: string }).message).toMatch(/expired/i);
    });

    it('lists only alerts of the sub-account named by Account-Name', async () => {
      await startFake();
      fake.addKey({ keyId: 'SUB_KEY', secret: 'sub-secret', subAccount: 'acme-dev' });
      fake.addAlerts(generateAlerts(3, { start: DAY_START, firstId: 100 }));
      fake.addAlerts(generateAlerts(2, { start: DAY_START, firstId: 200, subAccount: 'acme-dev' }));
      const minted = await mintToken({ keyId: 'SUB_KEY' }, 'sub-secret');
      const bearer = ((await minted.json()) as { token: string }).token;

      const own = (await (await get(`/api/v2/Alerts?${WINDOW}`, bearer)).json()) as ListBody;
      expect(own.data.map((a) => a.alertId)).toEqual([100, 101, 102]);
      const sub = (await (
        await get(`/api/v2/Alerts?${WINDOW}`, bearer, { 'Account-Name': 'acme-dev' })
      ).json()) as ListBody;
      expect(sub.data.map((a) => a.alertId)).toEqual([200, 201]);
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer, { 'Account-Name': 'other' })).status).toBe(204);

      expect((await get('/api/v2/Alerts/200?scope=Details', bearer)).status).toBe(404);
      expect(
        (await get('/api/v2/Alerts/200?scope=Details', bearer, { 'Account-Name': 'acme-dev' })).status,
      ).toBe(200);
      const records = fake.requests.filter((r) => r.kind === 'list');
      expect(records[0].accountName).toBe('acme-dev');
      expect(records[1].headers['account-name']).toBe('acme-dev');
    });

    it('shows a late alert only once its visibleAt has passed', async () => {
      let clock = new Date('2024-05-01T02:10:00.000Z');
      await startFake({ now: () => clock });
      fake.addAlerts([
        { alertId: '10', startTime: new Date('2024-05-01T01:00:00.000Z') },
        {
          alertId: '11',
          startTime: new Date('2024-05-01T01:00:00.000Z'),
          visibleAt: new Date('2024-05-01T03:30:00.000Z'),
        },
      ]);
      const bearer = await token();
      const early = (await (await get(`/api/v2/Alerts?${WINDOW}`, bearer)).json()) as ListBody;
      expect(early.data.map((a) => a.alertId)).toEqual([10]);
      clock = new Date('2024-05-01T03:30:00.000Z');
      const later = (await (await get(`/api/v2/Alerts?${WINDOW}`, bearer)).json()) as ListBody;
      expect(later.data.map((a) => a.alertId)).toEqual([10, 11]);
    });

    it('stops listing a removed alert and answers 404 for its Details', async () => {
      await startFake();
      fake.addAlerts(generateAlerts(2, { start: DAY_START, firstId: 50, hours: 1 }));
      const bearer = await token();
      fake.removeAlert('50');
      const listed = (await (await get(`/api/v2/Alerts?${WINDOW}`, bearer)).json()) as ListBody;
      expect(listed.data.map((a) => a.alertId)).toEqual([51]);
      expect((await get('/api/v2/Alerts/50?scope=Details', bearer)).status).toBe(404);
      expect(fake.expectedScopeData('50', 'Details')).toBeNull();
    });
  });

  describe('scopes', () => {
    it('serves seeded scopes verbatim, 404 with a message, or an empty array', async () => {
      await startFake();
      fake.addAlerts([
        {
          alertId: '7',
          startTime: DAY_START,
          scopes: { Events: 404, RelatedAlerts: '[]', Investigation: '[{"question":"q","answer":"a"}]' },
        },
      ]);
      const bearer = await token();
      const events = await get('/api/v2/Alerts/7?scope=Events', bearer);
      expect(events.status).toBe(404);
      expect(await events.json()).toEqual({ message: 'Not found' });
      const related = await get('/api/v2/Alerts/7?scope=RelatedAlerts', bearer);
      expect(related.status).toBe(200);
      expect(await related.text()).toBe('{"data":[]}');
      expect(await (await get('/api/v2/Alerts/7?scope=Investigation', bearer)).text()).toBe(
        '{"data":[{"question":"q","answer":"a"}]}',
      );
      expect((await get('/api/v2/Alerts/7?scope=Bogus', bearer)).status).toBe(400);
      expect((await get('/api/v2/Alerts/999?scope=Details', bearer)).status).toBe(404);
    });

    it('writes the 19-digit machine id of Details raw into the body text', async () => {
      await startFake();
      fake.addAlerts([{ alertId: '967278', startTime: DAY_START }]);
      const bearer = await token();
      const text = await (await get('/api/v2/Alerts/967278?scope=Details', bearer)).text();
      const mid = machineIdFor('967278');
      expect(mid).toMatch(/^\d{19}$/);
      expect(text).toContain(`"mid":${mid}`);
      expect(text).not.toContain(`"${mid}"`);
      expect(text).toBe(`{"data":${fake.expectedScopeData('967278', 'Details')}}`);
      // A plain JSON.parse cannot keep it, which is the point of serving it.
      const parsed = JSON.parse(text) as { data: { entityMap: { Machine: { PROPS: { mid: number } }[] } } };
      expect(BigInt(parsed.data.entityMap.Machine[0].PROPS.mid)).not.toBe(BigInt(mid));
    });

    it('generates defaults of every shape: JSON inside strings, mixed casing, and 404s', async () => {
      await startFake();
      fake.addAlerts(generateAlerts(200, { start: DAY_START }));
      const bearer = await token();
      const statuses: Record<string, Set<number>> = {};
      let sawEmptyRelated = false;
      let sawIntegration = false;
      for (const id of ['1000000', '1000001', '1000002', '1000003']) {
        for (const scope of SCOPE_NAMES) {
          const response = await get(`/api/v2/Alerts/${id}?scope=${scope}`, bearer);
          const text = await response.text();
          (statuses[scope] ??= new Set()).add(response.status);
          const expected = fake.expectedScopeData(id, scope);
          expect(text).toBe(expected === null ? '{"message":"Not found"}' : `{"data":${expected}}`);
        }
      }
      for (let i = 0; i < 200; i++) {
        const id = String(1_000_000 + i);
        sawEmptyRelated ||= fake.expectedScopeData(id, 'RelatedAlerts') === '[]';
        const integrations = fake.expectedScopeData(id, 'Integrations');
        if (integrations !== null) {
          sawIntegration = true;
          expect(integrations).toContain('"INTG_GUID"');
          expect(integrations).toContain('"intgGuid"');
        }
        const events = fake.expectedScopeData(id, 'Events');
        if (events !== null) {
          const parsed = JSON.parse(events) as { EVENT: string }[];
          expect(typeof parsed[0].EVENT).toBe('string');
          expect(JSON.parse(parsed[0].EVENT)).toHaveProperty('eventName');
        }
      }
      expect(statuses.Details).toEqual(new Set([200]));
      expect(sawEmptyRelated).toBe(true);
      expect(sawIntegration).toBe(true);
      const timelines = Array.from({ length: 200 }, (_, i) =>
        fake.expectedScopeData(String(1_000_000 + i), 'Timeline'),
      );
      expect(timelines.filter((t) => t === null).length).toBeGreaterThan(100);
    });

    it('injects a permanent failure on one scope until cleared', async () => {
      await startFake();
      fake.addAlerts([{ alertId: '5', startTime: DAY_START }]);
      const bearer = await token();
      fake.failScope('5', 'Investigation', 500);
      expect((await get('/api/v2/Alerts/5?scope=Investigation', bearer)).status).toBe(500);
      expect((await get('/api/v2/Alerts/5?scope=Investigation', bearer)).status).toBe(500);
      expect((await get('/api/v2/Alerts/5?scope=Details', bearer)).status).toBe(200);
      fake.failScope('5', 'Investigation', null);
      expect((await get('/api/v2/Alerts/5?scope=Investigation', bearer)).status).toBe(200);
    });
  });

  describe('limits and failures', () => {
    it('answers 429 with RateLimit headers beyond the limit, counting token calls', async () => {
      await startFake({ rateLimit: { limit: 3, windowSeconds: 60, retryAfter: true } });
      const bearer = await token();
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(204);
      const last = await get(`/api/v2/Alerts?${WINDOW}`, bearer);
      expect(last.status).toBe(204);
      expect(last.headers.get('ratelimit-remaining')).toBe('0');
      const limited = await get(`/api/v2/Alerts?${WINDOW}`, bearer);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('ratelimit-limit')).toBe('3');
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      const reset = Number(limited.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      expect(limited.headers.get('retry-after')).toBe(String(reset));
      expect(await limited.json()).toEqual({ message: expect.any(String) });
    });

    it('frees a slot once the rolling window has moved on', async () => {
      await startFake({ rateLimit: { limit: 1, windowSeconds: 0.1 } });
      const bearer = await token();
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(429);
      await sleep(150);
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(204);
    });

    it('token bucket: holds a burst of 10, then answers 429 with RateLimit-Reset until a token refills', async () => {
      await startFake({
        rateLimit: { mode: 'token-bucket', limit: 60, windowSeconds: 60, retryAfter: true },
      });
      const bearer = await token();
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        statuses.push((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status);
      }
      // The token took one of the 10; one a second refills.
      expect(statuses).toEqual([...Array<number>(9).fill(204), 429]);
      const limited = await get(`/api/v2/Alerts?${WINDOW}`, bearer);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('ratelimit-reset')).toBe('1');
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.headers.get('ratelimit-limit')).toBe('60');
    });

    it('shared key: a token bucket refilling at half the limit', async () => {
      await startFake({ rateLimit: { mode: 'shared-key', limit: 20, windowSeconds: 1, burst: 1 } });
      const bearer = await token();
      await sleep(60);
      // 10 a second: one token after 100 ms, not after 50.
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(429);
      await sleep(110);
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(204);
    });

    it('fails the next n requests with the given status and headers, then recovers', async () => {
      await startFake();
      const bearer = await token();
      fake.failNext(2, 429, { 'RateLimit-Reset': '7' });
      const first = await get(`/api/v2/Alerts?${WINDOW}`, bearer);
      expect(first.status).toBe(429);
      expect(first.headers.get('ratelimit-reset')).toBe('7');
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(429);
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(204);
      fake.failNext(1, 503);
      expect((await mintToken()).status).toBe(201);
      expect((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status).toBe(503);
    });

    it('draws transient 5xx answers from a seeded RNG', async () => {
      async function statusesFor(seed: number): Promise<number[]> {
        await startFake({ serverErrorRate: 0.5, seed });
        const bearer = await token();
        const statuses: number[] = [];
        for (let i = 0; i < 24; i++) {
          statuses.push((await get(`/api/v2/Alerts?${WINDOW}`, bearer)).status);
        }
        await fake.close();
        return statuses;
      }
      const a = await statusesFor(42);
      const b = await statusesFor(42);
      await startFake();
      expect(a).toEqual(b);
      expect(a.every((status) => [204, 500, 502, 503, 504].includes(status))).toBe(true);
      expect(a.some((status) => status >= 500)).toBe(true);
      expect(a).toContain(204);
    });
  });

  describe('bookkeeping', () => {
    it('records every request with lower-cased headers, kind and status, and resets counters', async () => {
      await startFake();
      fake.addAlerts([{ alertId: '3', startTime: DAY_START }]);
      const bearer = await token();
      await get('/api/v2/Alerts/3?scope=Timeline', bearer, { 'X-Custom': 'yes' });
      await get('/api/v2/Nothing', bearer);
      expect(fake.count('token')).toBe(1);
      expect(fake.count('scope')).toBe(1);
      expect(fake.count('other')).toBe(1);
      const scopeCall = fake.requests.find((r) => r.kind === 'scope');
      expect(scopeCall).toMatchObject({
        method: 'GET',
        path: '/api/v2/Alerts/3',
        query: 'scope=Timeline',
        scope: 'Timeline',
        alertId: '3',
        keyId: KEY.keyId,
      });
      expect(scopeCall?.headers.authorization).toBe(`Bearer ${bearer}`);
      expect(scopeCall?.headers['x-custom']).toBe('yes');
      expect(fake.requests.map((r) => r.at)).toEqual(
        [...fake.requests.map((r) => r.at)].sort((x, y) => x - y),
      );
      fake.reset();
      expect(fake.requests).toHaveLength(0);
      expect(fake.count('scope')).toBe(0);
    });

    it('generates deterministic alerts on the hour with increasing ids', () => {
      const a = generateAlerts(10, { start: new Date('2024-05-01T00:37:00.000Z'), firstId: 500, hours: 5 });
      const b = generateAlerts(10, { start: new Date('2024-05-01T00:37:00.000Z'), firstId: 500, hours: 5 });
      expect(a).toEqual(b);
      expect(a.map((s) => s.alertId)).toEqual(Array.from({ length: 10 }, (_, i) => String(500 + i)));
      expect(a.every((s) => s.startTime.getTime() % 3_600_000 === 0)).toBe(true);
      expect(new Set(a.map((s) => s.startTime.toISOString())).size).toBe(5);
      const only = generateAlerts(20, { start: DAY_START, severities: ['Critical'] });
      expect(only.every((s) => s.severity === 'Critical')).toBe(true);
    });
  });
});
