import { FakeDownstream } from './fakes/fake-downstream';
import { FakeElasticsearch, startFakeElasticsearch } from './fakes/fake-elasticsearch';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { FakeSplunkHec, startFakeSplunkHec } from './fakes/fake-splunk-hec';
import { createIntegration, KEY, syncAndSettle } from './setup/sync-helpers';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, sleep, waitFor } from './setup/wait';
import { PIPELINE_APP_ENV } from './setup/pipeline-env';

const HOUR = 3_600_000;
const SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
const HEC_TOKEN = '5c2d3a1e-7f4b-4e0a-9a55-1b2c3d4e5f60';
const HEC_TOKEN_2 = '0b7f6c1a-2d3e-4f50-8a9b-c0d1e2f3a4b5';
const API_KEY = Buffer.from('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw').toString('base64');
const WRONG_API_KEY = Buffer.from('VuaCfGcBCdbkQm-e5aOx:wrong-key-0000000000').toString('base64');
const ES_INDEX = 'lacework-alerts';

const APP_ENV = PIPELINE_APP_ENV;

/** One delivery with the alert version it carries. */
interface Row {
  id: string;
  destination_id: string;
  alert_id: string;
  version: number;
  state: string;
  attempts: number;
  last_error: string | null;
  document: string;
  start_time: Date;
}

/** The source Elasticsearch stores for a document: `@timestamp` (the alert's start) first, then the document. */
const esSource = (row: Row): string =>
  `{"@timestamp":${JSON.stringify(row.start_time.toISOString())},${row.document.slice(1)}`;

/** `_id`s of a bulk request body, in order. */
const bulkIds = (body: string): string[] =>
  body
    .split('\n')
    .filter((_, i) => i % 2 === 0)
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { create: { _id: string } }).create._id);

const countBy = <T>(values: T[]): Map<T, number> => {
  const counts = new Map<T, number>();
  for (const v of values) {
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
};

describe('splunk_hec and elasticsearch destinations through the whole pipeline', () => {
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;
  let hec: FakeSplunkHec;
  let es: FakeElasticsearch;

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
    hec = await startFakeSplunkHec({
      tokens: [
        { token: HEC_TOKEN, indexes: ['security'] },
        { token: HEC_TOKEN_2, indexes: ['security'] },
      ],
    });
    es = await startFakeElasticsearch({ apiKeys: [API_KEY] });
  });

  afterEach(async () => {
    await lacework.close();
    await hec.close();
    await es.close();
  });

  const createDestination = async (body: Record<string, unknown>): Promise<string> => {
    const res = await app.http
      .post('/api/v1/destinations')
      .set(asAdmin)
      .send({ name: `dest-${Math.random().toString(36).slice(2)}`, ...body });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  const splunkDestination = (extra: Record<string, unknown> = {}): Promise<string> =>
    createDestination({
      kind: 'splunk_hec',
      url: hec.eventUrl,
      settings: { token: HEC_TOKEN, index: 'security' },
      batch: { maxEvents: 20 },
      ...extra,
    });

  const esDestination = (extra: Record<string, unknown> = {}): Promise<string> =>
    createDestination({
      kind: 'elasticsearch',
      url: es.url,
      settings: { index: ES_INDEX, auth: 'api_key', apiKey: API_KEY },
      batch: { maxEvents: 20 },
      ...extra,
    });

  const enable = async (destinationId: string): Promise<void> => {
    const res = await app.http
      .patch(`/api/v1/destinations/${destinationId}`)
      .set(asAdmin)
      .send({ enabled: true });
    expect(res.status).toBe(200);
  };

  const rows = (integrationId: string, destinationId?: string): Promise<Row[]> =>
    db.query<Row>(
      `SELECT d.id, d.destination_id, d.alert_id, d.version, d.state, d.attempts, d.last_error, v.document,
              v.start_time
         FROM deliveries d JOIN alert_versions v ON v.id = d.alert_version_id
        WHERE d.integration_id = $1 AND ($2::uuid IS NULL OR d.destination_id = $2::uuid)
        ORDER BY d.alert_id, d.version`,
      [integrationId, destinationId ?? null],
    );

  const states = async (integrationId: string, destinationId?: string): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const row of await rows(integrationId, destinationId)) {
      counts[row.state] = (counts[row.state] ?? 0) + 1;
    }
    return counts;
  };

  const waitForStates = (
    integrationId: string,
    expected: Record<string, number>,
    timeoutMs = 20_000,
  ): Promise<unknown> =>
    waitFor(
      async () => JSON.stringify(await states(integrationId)) === JSON.stringify(expected),
      timeoutMs,
      `deliveries ${JSON.stringify(expected)}`,
    );

  const destinationView = async (destinationId: string): Promise<Record<string, unknown>> =>
    (await app.http.get(`/api/v1/destinations/${destinationId}`).set(asViewer)).body as Record<
      string,
      unknown
    >;

  /** Waits until no delivery of the integration is claimed: requests out when a pause came have ended. */
  const waitForNoClaims = (integrationId: string): Promise<unknown> =>
    waitFor(async () => {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM deliveries WHERE integration_id = $1 AND lease_owner IS NOT NULL`,
        [integrationId],
      );
      return row.n === 0;
    });

  describe('splunk_hec', () => {
    it('delivers every version byte for byte in batched envelopes with the alert time, sourcetype and index', async () => {
      const seeds = generateAlerts(20, { start: hourStart(4 * HOUR), hours: 3, firstId: 100_000 });
      lacework.addAlerts(seeds);
      const startOf = new Map(seeds.map((s) => [s.alertId, s.startTime.getTime()]));
      // Disabled while the alerts are assembled, so the worker finds all 20 due at once and batches them.
      const destinationId = await splunkDestination({ enabled: false, batch: { maxEvents: 8 } });
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      expect(await states(id)).toEqual({ pending: 20 });
      await enable(destinationId);
      await waitForStates(id, { delivered: 20 });

      const stored = await rows(id);
      expect(stored).toHaveLength(20);
      expect(hec.received).toHaveLength(20);
      const byEvent = new Map(hec.received.map((e) => [e.rawEvent, e]));
      for (const row of stored) {
        const event = byEvent.get(row.document);
        expect(event).toBeDefined();
        const startMs = startOf.get(row.alert_id)!;
        expect(row.start_time.getTime()).toBe(startMs);
        expect(event!.time).toBe(startMs / 1000);
        expect(event!.timeText).toBe(`${startMs / 1000}.000`);
        expect(event!.sourcetype).toBe('lacework:alert');
        expect(event!.index).toBe('security');
        expect(event!.token).toBe(HEC_TOKEN);
      }
      const requests = hec.eventRequests();
      // 20 events in batches of at most 8: three requests, every one answered 200.
      expect(requests).toHaveLength(3);
      expect(requests.every((r) => r.status === 200)).toBe(true);
      expect(requests.map((r) => r.body.split('\n').length).sort()).toEqual([4, 8, 8]);
      expect(requests.every((r) => r.headers.authorization === `Splunk ${HEC_TOKEN}`)).toBe(true);
    });

    it('retries while the collector is busy (503 code 9), then delivers each event once', async () => {
      lacework.addAlerts(generateAlerts(5, { start: hourStart(2 * HOUR), hours: 1, firstId: 110_000 }));
      hec.busyFor(3);
      const destinationId = await splunkDestination({ enabled: false });
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      await enable(destinationId);
      await waitForStates(id, { delivered: 5 });
      // Jittered retry times may split the batch, so which requests met the three busy answers varies.
      const statuses = hec.eventRequests().map((r) => r.status);
      expect(statuses.slice(0, 3)).toEqual([503, 503, 503]);
      expect(statuses.slice(3).every((s) => s === 200)).toBe(true);
      expect(JSON.parse(hec.eventRequests()[0].reply)).toMatchObject({ code: 9, text: 'Server is busy' });
      const stored = await rows(id);
      expect(hec.received.map((e) => e.rawEvent).sort()).toEqual(stored.map((r) => r.document).sort());
      let busyAttempts = 0;
      for (const row of stored) {
        const log = (await app.http.get(`/api/v1/deliveries/${row.id}`).set(asViewer)).body.attemptLog as {
          statusCode: number;
          error: string | null;
        }[];
        // All five went in the first request; each was retried until its request got through.
        expect(log.length).toBeGreaterThanOrEqual(2);
        expect(log.slice(0, -1).every((a) => a.statusCode === 503 && /code 9/.test(a.error ?? ''))).toBe(
          true,
        );
        expect(log[log.length - 1]).toMatchObject({ statusCode: 200, error: null });
        busyAttempts += log.length - 1;
      }
      expect(busyAttempts).toBeGreaterThanOrEqual(5);
    });

    it('marks one event the collector refuses as invalid data dead, delivers the rest, and delivers it on retry', async () => {
      lacework.addAlerts(generateAlerts(6, { start: hourStart(2 * HOUR), hours: 1, firstId: 120_000 }));
      const destinationId = await splunkDestination({ enabled: false });
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      const stored = await rows(id);
      const victim = stored[2];
      hec.rejectEvents((raw) => raw === victim.document);
      await enable(destinationId);
      await waitForStates(id, { delivered: 5, dead: 1 });

      const dead = (await rows(id)).find((r) => r.state === 'dead')!;
      expect(dead.id).toBe(victim.id);
      expect(dead.attempts).toBe(1);
      expect(dead.last_error).toMatch(/code 6/);
      expect(dead.last_error).toMatch(/Invalid data format/);
      const refused = hec.eventRequests().find((r) => r.status === 400)!;
      expect(JSON.parse(refused.reply)).toMatchObject({
        code: 6,
        'invalid-event-number': expect.any(Number),
      });
      const arrived = countBy(hec.received.map((e) => e.rawEvent));
      expect(arrived.size).toBe(5);
      expect([...arrived.values()].every((n) => n === 1)).toBe(true);
      expect(arrived.has(victim.document)).toBe(false);
      // The destination answered: one bad event does not pause it.
      expect((await destinationView(destinationId)).state).toBe('ok');

      hec.rejectEvents(null);
      const retried = await app.http.post(`/api/v1/deliveries/${victim.id}/retry`).set(asAdmin);
      expect(retried.status).toBe(202);
      await waitForStates(id, { delivered: 6 });
      const after = countBy(hec.received.map((e) => e.rawEvent));
      expect(after.size).toBe(6);
      expect(after.get(victim.document)).toBe(1);
      expect([...after.values()].every((n) => n === 1)).toBe(true);
    });

    it('pauses on a disabled token without losing anything, and a new token resumes it', async () => {
      lacework.addAlerts(generateAlerts(5, { start: hourStart(2 * HOUR), hours: 1, firstId: 130_000 }));
      hec.disableToken(HEC_TOKEN);
      const destinationId = await splunkDestination();
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      await waitFor(async () => (await destinationView(destinationId)).state === 'paused', 20_000, 'pause');
      await waitForNoClaims(id);
      const paused = await destinationView(destinationId);
      expect(paused.pausedReason).toMatch(/^refused: /);
      expect(paused.pausedReason).toMatch(/code 1 Token disabled/);
      expect(JSON.stringify(paused)).not.toContain(HEC_TOKEN);
      expect(hec.received).toHaveLength(0);
      const refusals = hec.eventRequests().length;
      expect(refusals).toBeGreaterThanOrEqual(1);
      await sleep(500);
      // Held: no probe, nothing dead, every alert waits.
      expect(hec.eventRequests()).toHaveLength(refusals);
      expect(await states(id)).toEqual({ pending: 5 });

      const patched = await app.http
        .patch(`/api/v1/destinations/${destinationId}`)
        .set(asAdmin)
        .send({ settings: { token: HEC_TOKEN_2 } });
      expect(patched.status).toBe(200);
      expect(patched.body.state).toBe('ok');
      expect(patched.body.pausedReason).toBeNull();
      await waitForStates(id, { delivered: 5 });
      const stored = await rows(id);
      expect(hec.received.map((e) => e.rawEvent).sort()).toEqual(stored.map((r) => r.document).sort());
      expect(hec.received.every((e) => e.token === HEC_TOKEN_2)).toBe(true);
    });
  });

  describe('elasticsearch', () => {
    it('stores each version once under its delivery id, byte for byte after @timestamp, in bulk requests', async () => {
      lacework.addAlerts(generateAlerts(15, { start: hourStart(4 * HOUR), hours: 3, firstId: 200_000 }));
      const destinationId = await esDestination({ enabled: false, batch: { maxEvents: 6 } });
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      await enable(destinationId);
      await waitForStates(id, { delivered: 15 });
      const stored = await rows(id);
      const documents = es.documents(ES_INDEX);
      expect(documents.size).toBe(15);
      for (const row of stored) {
        expect(documents.get(row.id)).toBe(esSource(row));
      }
      const bulk = es.requests.filter((r) => r.url.includes('_bulk'));
      expect(bulk.map((r) => bulkIds(r.body).length).sort()).toEqual([3, 6, 6]);
      expect(bulk.every((r) => r.headers.authorization === `ApiKey ${API_KEY}`)).toBe(true);
    });

    it('marks a document failing its mapping dead with the reason, stores the others, and stores it on retry', async () => {
      lacework.addAlerts(generateAlerts(6, { start: hourStart(2 * HOUR), hours: 1, firstId: 210_000 }));
      const destinationId = await esDestination({ enabled: false });
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      const victim = (await rows(id))[3];
      es.failDocuments((_index, docId) =>
        docId === victim.id ? 'failed to parse field [alertId] of type [long] in document' : null,
      );
      await enable(destinationId);
      await waitForStates(id, { delivered: 5, dead: 1 });
      const dead = (await rows(id)).find((r) => r.state === 'dead')!;
      expect(dead.id).toBe(victim.id);
      expect(dead.last_error).toMatch(/document_parsing_exception/);
      expect(dead.last_error).toMatch(/failed to parse field \[alertId\]/);
      expect(dead.last_error).toMatch(/item status 400/);
      const documents = es.documents(ES_INDEX);
      expect(documents.size).toBe(5);
      expect(documents.has(victim.id)).toBe(false);

      es.failDocuments(null);
      expect((await app.http.post(`/api/v1/deliveries/${victim.id}/retry`).set(asAdmin)).status).toBe(202);
      await waitForStates(id, { delivered: 6 });
      expect(es.documents(ES_INDEX).get(victim.id)).toBe(esSource(victim));
    });

    it('retries items the cluster rejects with 429, and a replay of delivered ones makes no second document', async () => {
      lacework.addAlerts(generateAlerts(5, { start: hourStart(2 * HOUR), hours: 1, firstId: 220_000 }));
      const destinationId = await esDestination({ enabled: false });
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      es.rejectItems(3);
      await enable(destinationId);
      await waitForStates(id, { delivered: 5 });
      const stored = await rows(id);
      const documents = es.documents(ES_INDEX);
      expect(documents.size).toBe(5);
      for (const row of stored) {
        expect(documents.get(row.id)).toBe(esSource(row));
      }
      const retried = stored.filter((r) => r.attempts === 2);
      expect(retried).toHaveLength(3);
      expect(stored.filter((r) => r.attempts === 1)).toHaveLength(2);
      const detail = await app.http.get(`/api/v1/deliveries/${retried[0].id}`).set(asViewer);
      expect(detail.body.attemptLog[0].error).toMatch(/es_rejected_execution_exception.*item status 429/);
      expect(detail.body.attemptLog[1].error).toBeNull();

      const bulkBefore = es.requests.length;
      const replay = await app.http
        .post('/api/v1/deliveries/replay')
        .set(asAdmin)
        .send({ destinationId, state: 'delivered', since: new Date(Date.now() - HOUR).toISOString() });
      expect(replay.status).toBe(202);
      expect(replay.body).toEqual({ queued: 5, matched: 5 });
      await waitFor(
        () => es.requests.slice(bulkBefore).flatMap((r) => bulkIds(r.body)).length >= 5,
        20_000,
        'the replayed documents to be sent',
      );
      await waitForStates(id, { delivered: 5 });
      const resent = es.requests.slice(bulkBefore).flatMap((r) => bulkIds(r.body));
      expect(resent.sort()).toEqual(stored.map((r) => r.id).sort());
      // Each create met the stored document (409): still five documents, unchanged, and every delivery done.
      expect(es.documents(ES_INDEX)).toEqual(documents);
      for (const row of await rows(id)) {
        const log = (await app.http.get(`/api/v1/deliveries/${row.id}`).set(asViewer)).body.attemptLog;
        expect(log[log.length - 1]).toMatchObject({ statusCode: 200, error: null });
      }
    });

    it('pauses on a wrong API key without losing anything, and the right key resumes it', async () => {
      lacework.addAlerts(generateAlerts(4, { start: hourStart(2 * HOUR), hours: 1, firstId: 230_000 }));
      const destinationId = await esDestination({
        settings: { index: ES_INDEX, auth: 'api_key', apiKey: WRONG_API_KEY },
      });
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      await waitFor(async () => (await destinationView(destinationId)).state === 'paused', 20_000, 'pause');
      await waitForNoClaims(id);
      const paused = await destinationView(destinationId);
      expect(paused.pausedReason).toMatch(/^refused: the cluster refused the credentials/);
      expect(paused.pausedReason).toMatch(/HTTP 401/);
      expect(JSON.stringify(paused)).not.toContain(WRONG_API_KEY);
      expect(es.documents(ES_INDEX).size).toBe(0);
      expect(await states(id)).toEqual({ pending: 4 });

      const patched = await app.http
        .patch(`/api/v1/destinations/${destinationId}`)
        .set(asAdmin)
        .send({ settings: { apiKey: API_KEY } });
      expect(patched.status).toBe(200);
      expect(patched.body.state).toBe('ok');
      await waitForStates(id, { delivered: 4 });
      expect(es.documents(ES_INDEX).size).toBe(4);
    });
  });

  it('fans out each version once to a webhook, Splunk and Elasticsearch, v2 never before v1', async () => {
    const downstream = await FakeDownstream.start({ secrets: [SECRET] });
    try {
      lacework.addAlerts(generateAlerts(12, { start: hourStart(3 * HOUR), hours: 2, firstId: 300_000 }));
      const webhookId = await createDestination({ url: `${downstream.url}/ingest`, signingSecret: SECRET });
      const splunkId = await splunkDestination();
      const esId = await esDestination({ enabled: false });
      const id = await createIntegration(app, lacework, { destinationIds: [webhookId, splunkId, esId] });
      await syncAndSettle(app, db, id);
      await waitFor(
        async () =>
          (await states(id, webhookId)).delivered === 12 && (await states(id, splunkId)).delivered === 12,
        20_000,
        'v1 at the webhook and Splunk',
      );
      // Elasticsearch stores v1 in one bulk request but keeps its answer back: v1 is still out when v2 is assembled.
      es.delayAnswers('hold');
      await enable(esId);
      await waitFor(() => es.documents(ES_INDEX).size === 12, 20_000, 'v1 stored at Elasticsearch');
      const changed = ['300001', '300004', '300007', '300010'];
      for (const alertId of changed) {
        lacework.updateAlert(alertId, { status: 'Closed' });
      }
      await syncAndSettle(app, db, id);
      await waitFor(
        async () =>
          (await states(id, webhookId)).delivered === 16 && (await states(id, splunkId)).delivered === 16,
        20_000,
        'v2 at the webhook and Splunk',
      );
      await sleep(300);
      // v2 waits for the v1 attempt still out at Elasticsearch.
      expect(es.documents(ES_INDEX).size).toBe(12);
      es.delayAnswers(0);
      es.releaseAnswers();
      await waitFor(
        async () => (await states(id, esId)).pending === undefined,
        20_000,
        'v2 at Elasticsearch',
      );
      // v1 at Elasticsearch was superseded while its attempt was out; the attempt itself stored it.
      expect(await states(id, esId)).toEqual({ delivered: 12, superseded: 4 });
      expect(await states(id, webhookId)).toEqual({ delivered: 16 });
      expect(await states(id, splunkId)).toEqual({ delivered: 16 });

      const all = await rows(id);
      const versionKey = (r: Row): string => `${r.alert_id}/v${r.version}`;
      const byDocument = new Map(all.map((r) => [r.document, versionKey(r)]));
      const byDeliveryId = new Map(all.map((r) => [r.id, r]));
      expect(new Set(all.map(versionKey)).size).toBe(16);

      // Arrival order of alert versions at each destination.
      const webhookOrder = downstream.received.map((r) => {
        expect(r.signatureValid).toBe(true);
        expect(byDocument.get(r.body)).toBe(
          `${r.headers['x-lacework-alert-id']}/v${r.headers['x-alert-version']}`,
        );
        return byDocument.get(r.body)!;
      });
      const splunkOrder = hec.received.map((e) => byDocument.get(e.rawEvent)!);
      const esOrder = es.requests.flatMap((r) =>
        bulkIds(r.body).map((docId) => versionKey(byDeliveryId.get(docId)!)),
      );
      for (const [name, order] of [
        ['webhook', webhookOrder],
        ['splunk', splunkOrder],
        ['elasticsearch', esOrder],
      ] as const) {
        const counts = countBy(order);
        expect({ name, versions: counts.size }).toEqual({ name, versions: 16 });
        expect({ name, once: [...counts.values()].every((n) => n === 1) }).toEqual({ name, once: true });
        for (const alertId of changed) {
          expect({
            name,
            alertId,
            v1First: order.indexOf(`${alertId}/v1`) < order.indexOf(`${alertId}/v2`),
          }).toEqual({ name, alertId, v1First: true });
        }
      }
      // Elasticsearch: each v2 request arrived only after the request carrying that alert's v1 was answered.
      for (const alertId of changed) {
        const carrying = (version: number) =>
          es.requests.find((r) =>
            bulkIds(r.body).some(
              (docId) => versionKey(byDeliveryId.get(docId)!) === `${alertId}/v${version}`,
            ),
          )!;
        expect(carrying(2).at).toBeGreaterThanOrEqual(carrying(1).answeredAt!);
      }
      const documents = es.documents(ES_INDEX);
      expect(documents.size).toBe(16);
      for (const row of all.filter((r) => r.destination_id === esId)) {
        expect(documents.get(row.id)).toBe(esSource(row));
      }
      expect(downstream.received.find((r) => r.headers['x-alert-version'] === '2')!.body).toContain(
        '"status":"Closed"',
      );
    } finally {
      await downstream.close();
    }
  }, 60_000);

  it('never sends a waiting version twice when a destination no longer used is deleted (fan-out)', async () => {
    const first = await FakeDownstream.start({ secrets: [SECRET] });
    const second = await FakeDownstream.start({ secrets: [SECRET] });
    try {
      lacework.addAlerts(generateAlerts(6, { start: hourStart(3 * HOUR), hours: 2, firstId: 310_000 }));
      const firstId = await createDestination({
        url: `${first.url}/ingest`,
        signingSecret: SECRET,
        enabled: false,
      });
      const secondId = await createDestination({ url: `${second.url}/ingest`, signingSecret: SECRET });
      const id = await createIntegration(app, lacework, { destinationIds: [firstId, secondId] });
      await syncAndSettle(app, db, id);
      await waitFor(async () => (await states(id, secondId)).delivered === 6, 20_000, 'all at the second');
      expect(await states(id, firstId)).toEqual({ pending: 6 });
      const patched = await app.http
        .patch(`/api/v1/integrations/${id}`)
        .set(asAdmin)
        .send({ destinationIds: [secondId] });
      expect(patched.status).toBe(200);
      const deleted = await app.http.delete(`/api/v1/destinations/${firstId}`).set(asAdmin);
      expect(deleted.status).toBe(204);
      // Time for the worker to send anything the deletion handed on.
      await sleep(1_500);
      expect(second.received).toHaveLength(6);
      expect(new Set(second.received.map((r) => r.id)).size).toBe(6);
      expect(await states(id)).toEqual({ delivered: 6, superseded: 6 });
      expect(first.received).toHaveLength(0);
    } finally {
      await first.close();
      await second.close();
    }
  }, 60_000);
});
