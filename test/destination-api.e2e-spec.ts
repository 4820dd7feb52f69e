import { FakeDownstream } from './fakes/fake-downstream';
import { FakeElasticsearch, startFakeElasticsearch } from './fakes/fake-elasticsearch';
import { FakeLacework } from './fakes/fake-lacework';
import { FakeSecOps, startFakeSecOps } from './fakes/fake-secops';
import { FakeSentinel, startFakeSentinel } from './fakes/fake-sentinel';
import { FakeSplunkHec, startFakeSplunkHec } from './fakes/fake-splunk-hec';
import { Rsyslog } from './setup/rsyslog';
import { validateOcsf } from './setup/ocsf-schema';
import { KEY } from './setup/sync-helpers';
import { asAdmin, asViewer, messageOf, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

const SIGNING_SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
const HEADER_VALUE = 'ingest-header-value-0123456789';
const HEC_TOKEN = '5f0c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b';
const ES_API_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
const TENANT = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const CLIENT = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const CLIENT_SECRET = 'Qx8~api-test.client-secret_0123456789';
const DCR = `dcr-${'0123456789abcdef'.repeat(2)}`;
const STREAM = 'Custom-LaceworkAlerts_CL';
const SECOPS_API_KEY = 'AIzaSyApiTestKey_0123456789abcdefghijkl';
const SECOPS_SECRET = 'feed-secret-api-test-0123456789abcdef';

type Kind = 'webhook' | 'splunk_hec' | 'elasticsearch' | 'sentinel' | 'secops' | 'syslog';

describe('destination API across the six kinds', () => {
  let db: TestDatabase;
  let app: TestApp;
  let webhook: FakeDownstream;
  let splunk: FakeSplunkHec;
  let elastic: FakeElasticsearch;
  let sentinel: FakeSentinel;
  let secops: FakeSecOps;
  let rsyslog: Rsyslog;
  /** Every response text the API gave, to search for secret values. */
  const responses: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
    webhook = await FakeDownstream.start({ secrets: [SIGNING_SECRET] });
    splunk = await startFakeSplunkHec({ tokens: [{ token: HEC_TOKEN, indexes: ['security', 'audit'] }] });
    elastic = await startFakeElasticsearch({ apiKeys: [ES_API_KEY] });
    sentinel = await startFakeSentinel({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: CLIENT_SECRET,
      dcrImmutableId: DCR,
      streamName: STREAM,
    });
    secops = await startFakeSecOps({ apiKey: SECOPS_API_KEY, secret: SECOPS_SECRET });
    rsyslog = await Rsyslog.start();
  });

  afterAll(async () => {
    await rsyslog?.stop();
    await Promise.all([
      webhook?.close(),
      splunk?.close(),
      elastic?.close(),
      sentinel?.close(),
      secops?.close(),
    ]);
    await app?.close();
    await db?.drop();
  });

  /** The client key's base64 body: a piece of the PEM that survives JSON escaping. */
  const clientKeyBody = (): string => rsyslog.client.key.split('\n')[1];

  const secretValues = (): string[] => [
    SIGNING_SECRET,
    HEADER_VALUE,
    HEC_TOKEN,
    ES_API_KEY,
    CLIENT_SECRET,
    SECOPS_API_KEY,
    SECOPS_SECRET,
    clientKeyBody(),
  ];

  const valid = (): Record<Kind, { body: Record<string, unknown>; credentialNames: string[] }> => ({
    webhook: {
      body: {
        url: `${webhook.url}/ingest`,
        signingSecret: SIGNING_SECRET,
        headers: { 'X-Ingest-Token': HEADER_VALUE },
      },
      credentialNames: [],
    },
    splunk_hec: {
      body: { url: splunk.url, settings: { token: HEC_TOKEN, index: 'security' } },
      credentialNames: ['token'],
    },
    elasticsearch: {
      body: { url: elastic.url, settings: { index: 'lacework-alerts', auth: 'api_key', apiKey: ES_API_KEY } },
      credentialNames: ['apiKey'],
    },
    sentinel: {
      body: {
        url: sentinel.url,
        settings: sentinel.destinationSettings(),
      },
      credentialNames: ['clientSecret'],
    },
    secops: {
      body: { url: secops.url, settings: { apiKey: SECOPS_API_KEY, secret: SECOPS_SECRET } },
      credentialNames: ['apiKey', 'secret'],
    },
    syslog: {
      body: {
        url: rsyslog.url,
        settings: {
          caCertificate: rsyslog.serverCertificate,
          clientCertificate: rsyslog.client.certificate,
          clientKey: rsyslog.client.key,
        },
      },
      credentialNames: ['clientKey'],
    },
  });

  const post = async (body: Record<string, unknown>, as = asAdmin) => {
    const res = await app.http
      .post('/api/v1/destinations')
      .set(as)
      .send({ name: `dest-${Math.random().toString(36).slice(2)}`, ...body });
    responses.push(res.text);
    return res;
  };

  const patch = async (id: string, body: Record<string, unknown>) => {
    const res = await app.http.patch(`/api/v1/destinations/${id}`).set(asAdmin).send(body);
    responses.push(res.text);
    return res;
  };

  const get = async (id: string) => {
    const res = await app.http.get(`/api/v1/destinations/${id}`).set(asViewer);
    responses.push(res.text);
    return res;
  };

  const test = async (id: string) => {
    const res = await app.http.post(`/api/v1/destinations/${id}/test`).set(asAdmin);
    responses.push(res.text);
    expect(res.status).toBe(200);
    return res.body as { ok: boolean; status: number | null; error: string | null; answer: string };
  };

  const ids = {} as Record<Kind, string>;

  it('creates each kind with valid settings; the view shows settings and credential names, never secrets', async () => {
    const specs = valid();
    for (const kind of Object.keys(specs) as Kind[]) {
      const res = await post({ kind, ...specs[kind].body });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        kind,
        format: 'document',
        credentialNames: specs[kind].credentialNames,
        state: 'ok',
      });
      const given = (specs[kind].body.settings ?? {}) as Record<string, unknown>;
      for (const name of specs[kind].credentialNames) {
        expect(given[name]).toBeDefined();
        expect(res.body.settings).not.toHaveProperty(name);
      }
      ids[kind] = res.body.id as string;
    }
    expect((await get(ids.splunk_hec)).body.settings).toMatchObject({ index: 'security' });
    expect((await get(ids.elasticsearch)).body.settings).toEqual({
      index: 'lacework-alerts',
      auth: 'api_key',
    });
    expect((await get(ids.sentinel)).body.settings).toEqual({
      tenantId: TENANT,
      clientId: CLIENT,
      dcrImmutableId: DCR,
      streamName: STREAM,
      authorityHost: sentinel.authorityHost,
    });
    expect((await get(ids.secops)).body.settings).toEqual({});
    expect((await get(ids.syslog)).body.settings).toMatchObject({
      caCertificate: rsyslog.serverCertificate,
      clientCertificate: rsyslog.client.certificate,
    });
    expect((await get(ids.webhook)).body.headerNames).toEqual(['x-ingest-token']);
    const list = await app.http.get('/api/v1/destinations').query({ limit: 50 }).set(asViewer);
    responses.push(list.text);
    expect((list.body.items as { id: string }[]).map((d) => d.id).sort()).toEqual(Object.values(ids).sort());
    for (const id of Object.values(ids)) {
      await get(id);
    }
  });

  it('sends a marked test event through each kind and answers in words', async () => {
    for (const kind of Object.keys(ids) as Kind[]) {
      const answer = await test(ids[kind]);
      expect({ kind, ...answer }).toMatchObject({ kind, ok: true, error: null });
      expect(answer.answer).toMatch(/[a-z]+ [a-z]+/i);
    }
    const marked = (text: string): boolean => text.includes('"test":true');
    expect(webhook.received.filter((r) => marked(r.body) && r.signatureValid)).toHaveLength(1);
    expect(webhook.received[0].headers['x-ingest-token']).toBe(HEADER_VALUE);
    expect(splunk.received.filter((e) => marked(e.rawEvent) && e.index === 'security')).toHaveLength(1);
    expect([...elastic.documents('lacework-alerts').values()].filter(marked)).toHaveLength(1);
    expect(sentinel.alerts.filter(marked)).toHaveLength(1);
    expect(secops.lines.filter(marked)).toHaveLength(1);
    const messages = await rsyslog.waitForMessages(1);
    expect(messages.filter((m) => marked(m.msg))).toHaveLength(1);
  });

  it('answers ok false, in words, when the destination refuses the credentials', async () => {
    const specs = valid();
    const refused: [Kind, Record<string, unknown>][] = [
      [
        'webhook',
        { ...specs.webhook.body, signingSecret: 'whsec_' + Buffer.alloc(32, 6).toString('base64') },
      ],
      ['splunk_hec', { url: splunk.url, settings: { token: 'not-a-known-token' } }],
      [
        'elasticsearch',
        { url: elastic.url, settings: { index: 'lacework-alerts', auth: 'api_key', apiKey: 'bm90LWEta2V5' } },
      ],
      [
        'sentinel',
        {
          ...specs.sentinel.body,
          settings: { ...(specs.sentinel.body.settings as object), clientSecret: 'wrong-client-secret' },
        },
      ],
      ['secops', { url: secops.url, settings: { apiKey: SECOPS_API_KEY, secret: 'wrong-feed-secret' } }],
      // A CA that did not issue the receiver's certificate.
      ['syslog', { url: rsyslog.url, settings: { caCertificate: rsyslog.client.certificate } }],
    ];
    for (const [kind, body] of refused) {
      const created = await post({ kind, ...body });
      expect(created.status).toBe(201);
      const answer = await test(created.body.id as string);
      expect({ kind, ok: answer.ok }).toEqual({ kind, ok: false });
      expect(answer.answer).toMatch(/[a-z]+ [a-z]+ [a-z]+/i);
      // A webhook's error is its status alone; the other kinds say what was refused.
      expect(answer.error).toMatch(kind === 'webhook' ? /^HTTP 401$/ : /[a-z]+ [a-z]+ [a-z]+/i);
      if (kind !== 'webhook' && kind !== 'syslog') {
        expect(answer.answer).toMatch(/refused|invalid|not valid|unauthori[sz]ed|401|403/i);
      }
    }
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const specs = valid();
    const cases: [string, Record<string, unknown>][] = [
      ['settings.token', { kind: 'splunk_hec', url: splunk.url, settings: { index: 'security' } }],
      [
        'settings.index',
        { kind: 'elasticsearch', url: elastic.url, settings: { auth: 'api_key', apiKey: 'a2V5' } },
      ],
      [
        'settings.tenantId',
        {
          kind: 'sentinel',
          ...specs.sentinel.body,
          settings: { ...(specs.sentinel.body.settings as object), tenantId: 'not a tenant' },
        },
      ],
      ['url', { kind: 'splunk_hec', url: 'ftp://splunk.example.com', settings: { token: HEC_TOKEN } }],
      ['url', { kind: 'syslog', url: 'http://127.0.0.1:6514', settings: {} }],
      ['kind', { kind: 'kafka', url: splunk.url, settings: { token: HEC_TOKEN } }],
      ['batch.maxEvents', { ...specs.webhook.body, kind: 'webhook', batch: { maxEvents: 2 } }],
      ['batch.maxEvents', { kind: 'secops', ...specs.secops.body, batch: { maxEvents: 0 } }],
      ['format', { kind: 'secops', ...specs.secops.body, format: 'cef' }],
      [
        'settings.region',
        { kind: 'secops', url: secops.url, settings: { apiKey: 'k', secret: 's', region: 'us' } },
      ],
      ['signingSecret', { kind: 'secops', ...specs.secops.body, signingSecret: SIGNING_SECRET }],
      ['headers', { kind: 'splunk_hec', ...specs.splunk_hec.body, headers: { 'X-A': 'b' } }],
    ];
    for (const [field, body] of cases) {
      const res = await post(body);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(messageOf(res.body)).toMatch(new RegExp(`^${field.replace('.', '\\.')}\\b`));
    }
    const viewer = await post({ kind: 'secops', ...specs.secops.body }, asViewer);
    expect(viewer.status).toBe(403);
  });

  it('PATCH needs the secrets again to move them, refuses a new kind, and merges settings keeping the secret', async () => {
    const moved = await patch(ids.splunk_hec, { url: `${splunk.url}/services/collector` });
    expect(moved.status).toBe(400);
    expect(messageOf(moved.body)).toMatch(/^settings\.token\b/);
    const movedSentinel = await patch(ids.sentinel, {
      url: `http://localhost:${new URL(sentinel.url).port}`,
    });
    expect(movedSentinel.status).toBe(400);
    expect(messageOf(movedSentinel.body)).toMatch(/^settings\.clientSecret\b/);
    const retarget = await patch(ids.sentinel, {
      settings: { tenantId: '9f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b' },
    });
    expect(retarget.status).toBe(400);
    expect(messageOf(retarget.body)).toMatch(/^settings\.clientSecret\b/);

    const kind = await patch(ids.secops, { kind: 'splunk_hec' });
    expect(kind.status).toBe(400);
    expect(messageOf(kind.body)).toMatch(/^kind\b/);

    // Only the index changes: the stored token stays and still works.
    const merged = await patch(ids.splunk_hec, { settings: { index: 'audit' } });
    expect(merged.status).toBe(200);
    expect(merged.body.settings).toMatchObject({ index: 'audit' });
    expect(merged.body.credentialNames).toEqual(['token']);
    const before = splunk.received.length;
    const answer = await test(ids.splunk_hec);
    expect(answer.ok).toBe(true);
    expect(splunk.received.slice(before)).toEqual([
      expect.objectContaining({ token: HEC_TOKEN, index: 'audit' }),
    ]);

    // Which server a syslog client key is presented to is decided by the name and CA it is checked against too.
    for (const settings of [
      { serverName: 'other.example.net' },
      { caCertificate: rsyslog.client.certificate },
    ]) {
      const moved = await patch(ids.syslog, { settings });
      expect(moved.status).toBe(400);
      expect(messageOf(moved.body)).toMatch(/^settings\.clientKey\b/);
    }

    // A secret given again with the url moves with it.
    const withToken = await patch(ids.splunk_hec, {
      url: `${splunk.url}/services/collector`,
      settings: { token: HEC_TOKEN },
    });
    expect(withToken.status).toBe(200);
    expect(withToken.body.url).toBe(`${splunk.url}/services/collector`);
    expect((await test(ids.splunk_hec)).ok).toBe(true);

    const secopsMerged = await patch(ids.secops, { format: 'ocsf', settings: {} });
    expect(secopsMerged.status).toBe(200);
    expect(secopsMerged.body.format).toBe('ocsf');
    expect(secopsMerged.body.credentialNames).toEqual(['apiKey', 'secret']);
    const linesBefore = secops.lines.length;
    expect((await test(ids.secops)).ok).toBe(true);
    // The test event comes in the destination's format: an OCSF finding, still marked as a test.
    const testLines = secops.lines.slice(linesBefore);
    expect(testLines).toHaveLength(1);
    expect(validateOcsf(testLines[0])).toEqual([]);
    expect(JSON.parse(testLines[0])).toMatchObject({
      class_uid: 2004,
      severity: 'Informational',
      finding_info: { uid: 'test', title: 'lacework-connector test event' },
      unmapped: { lacework: { type: 'connector.test', test: true, destinationId: ids.secops } },
    });
  });

  it('validates the destinations of an integration', async () => {
    const lacework = await FakeLacework.start();
    lacework.addKey(KEY);
    try {
      const base = { name: 'org-dest-check', organizationUrl: lacework.url, ...KEY };
      const unknown = await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ ...base, destinationIds: [ids.secops, '3f0e6a1c-1d2b-4c3d-9e8f-0a1b2c3d4e5f'] });
      expect(unknown.status).toBe(400);
      expect(messageOf(unknown.body)).toMatch(/^destinationIds\b/);
      const disagree = await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ ...base, destinationId: ids.webhook, destinationIds: [ids.secops, ids.webhook] });
      expect(disagree.status).toBe(400);
      expect(messageOf(disagree.body)).toMatch(/^destinationIds\b/);
      const fanOut = await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ ...base, destinationIds: [ids.secops, ids.webhook] });
      expect(fanOut.status).toBe(201);
      expect(fanOut.body.destinationIds).toEqual([ids.secops, ids.webhook]);
      expect(fanOut.body.destinationId).toBe(ids.secops);
    } finally {
      await lacework.close();
    }
  });

  it('never returned a secret value in any response: create, get, list, patch and test alike', () => {
    expect(responses.length).toBeGreaterThan(30);
    // The search does see settings: the non-secret ones are there.
    expect(responses.some((text) => text.includes(TENANT) && text.includes(DCR))).toBe(true);
    for (const text of responses) {
      for (const secret of secretValues()) {
        expect(text.includes(secret)).toBe(false);
      }
    }
  });
});
