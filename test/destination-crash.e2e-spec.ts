import { FakeElasticsearch, startFakeElasticsearch } from './fakes/fake-elasticsearch';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { FakeSecOps, startFakeSecOps } from './fakes/fake-secops';
import { FakeSentinel, startFakeSentinel } from './fakes/fake-sentinel';
import { FakeSplunkHec, startFakeSplunkHec } from './fakes/fake-splunk-hec';
import { Rsyslog } from './setup/rsyslog';
import { spawnService, SpawnedService } from './setup/spawn-service';
import { KEY } from './setup/sync-helpers';
import { ADMIN_TOKEN, SECRETS_KEY } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, waitFor } from './setup/wait';

const HOUR = 3_600_000;
const ALERTS = 20;
const BATCH = 10;
const HEC_TOKEN = '5c2d3a1e-7f4b-4e0a-9a55-1b2c3d4e5f60';
const API_KEY = Buffer.from('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw').toString('base64');
const ES_INDEX = 'lacework-alerts';
const TENANT = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const CLIENT = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const CLIENT_SECRET = 'Qx8~sentinel.client-secret_0123456789';
const DCR = `dcr-${'0123456789abcdef'.repeat(2)}`;
const STREAM = 'Custom-LaceworkAlerts_CL';
const SECOPS_KEY = 'AIzaSyFakeKey-0123456789abcdefghijklmnopq';
const SECOPS_SECRET = 'feed-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
/** How long the frozen receiver keeps the first batch's connection in its handshake before the kill. */
const HANDSHAKE_HELD_MS = 1_500;

interface Row {
  id: string;
  state: string;
  document: string;
  start_time: Date;
}

/** How many times each value occurs. */
function tally(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) {
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

/**
 * SIGKILL of the built service while a batch is out at a destination that has already taken the events but not yet
 * answered (or, for syslog, a receiver that hangs in the TLS handshake): after a restart nothing is lost.
 * Elasticsearch (create with the delivery id as `_id`) keeps exactly one document per delivery; the kinds without
 * idempotency keep the cut batch twice and nothing else twice.
 */
describe('crash with a batch in flight to each destination kind', () => {
  let db: TestDatabase;
  let lacework: FakeLacework;
  const services: SpawnedService[] = [];

  const env = (): Record<string, string> => ({
    DATABASE_URL: db.url,
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    SECRETS_KEY,
    LOG_LEVEL: 'info',
    PORT: '0',
    HOST: '127.0.0.1',
    SCHEDULER_TICK_MS: '50',
    LEASE_SECONDS: '2',
    LACEWORK_EXTRA_ALLOWED_HOSTS: '127.0.0.1',
    LACEWORK_RETRY_BASE_MS: '5',
    LACEWORK_BUDGET_WINDOW_MS: '10000',
    DELIVERY_RETRY_SCALE: '0.0001',
    CIRCUIT_PROBE_AFTER_MS: '300',
    // One request per destination at a time: the held batch is the only one out when the service dies.
    DELIVERY_CONCURRENCY: '2',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  beforeEach(async () => {
    lacework = await FakeLacework.start();
    lacework.addKey(KEY);
  });

  afterEach(async () => {
    for (const s of services.splice(0)) {
      await s.kill('SIGKILL');
    }
    await lacework.close();
  });

  afterAll(async () => {
    await db?.drop();
  });

  const call = async (url: string, method: string, path: string, body: unknown): Promise<{ id: string }> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) {
      throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    }
    return (await res.json()) as { id: string };
  };

  const rows = (integrationId: string): Promise<Row[]> =>
    db.query<Row>(
      `SELECT d.id, d.state, v.document, v.start_time FROM deliveries d
         JOIN alert_versions v ON v.id = d.alert_version_id WHERE d.integration_id = $1`,
      [integrationId],
    );

  /**
   * Starts the service, creates the destination (disabled) and an integration, waits until every alert waits for
   * delivery, enables the destination and waits for `inFlight` to see the first request out; then kills the service
   * with SIGKILL and starts a second one.
   */
  const crashMidBatch = async (
    destination: Record<string, unknown>,
    inFlight: () => boolean,
    afterKill: () => void,
  ): Promise<{ integrationId: string; second: SpawnedService }> => {
    lacework.addAlerts(generateAlerts(ALERTS, { start: hourStart(3 * HOUR), hours: 2, firstId: 700_000 }));
    const first = spawnService(env());
    services.push(first);
    const url = await first.ready();
    const dest = await call(url, 'POST', '/api/v1/destinations', {
      name: `crash-${Math.random().toString(36).slice(2)}`,
      enabled: false,
      batch: { maxEvents: BATCH },
      ...destination,
    });
    const integration = await call(url, 'POST', '/api/v1/integrations', {
      name: `crash-${Math.random().toString(36).slice(2)}`,
      organizationUrl: lacework.url,
      ...KEY,
      requestsPerHour: 100000,
      destinationIds: [dest.id],
    });
    await waitFor(
      async () => (await rows(integration.id)).filter((r) => r.state === 'pending').length === ALERTS,
      30_000,
      'every alert to wait for delivery',
    );
    await call(url, 'PATCH', `/api/v1/destinations/${dest.id}`, { enabled: true });
    await waitFor(inFlight, 20_000, 'a batch request to be out');
    first.child.kill('SIGKILL');
    await first.exited();
    afterKill();
    const second = spawnService(env());
    services.push(second);
    await second.ready();
    await waitFor(
      async () => (await rows(integration.id)).filter((r) => r.state === 'delivered').length === ALERTS,
      30_000,
      `all ${ALERTS} deliveries after the restart`,
    );
    return { integrationId: integration.id, second };
  };

  it('elasticsearch: every delivery stored exactly once, the resent batch answered 409', async () => {
    const es: FakeElasticsearch = await startFakeElasticsearch({ apiKeys: [API_KEY] });
    try {
      es.delayAnswers('hold');
      const { integrationId, second } = await crashMidBatch(
        {
          kind: 'elasticsearch',
          url: es.url,
          settings: { index: ES_INDEX, auth: 'api_key', apiKey: API_KEY },
        },
        () => es.requests.length === 1,
        () => es.delayAnswers(0),
      );
      await second.kill('SIGTERM');
      const [cut] = es.requests;
      const idsOf = (body: string): string[] =>
        body
          .split('\n')
          .filter((line, i) => i % 2 === 0 && line !== '')
          .map((line) => (JSON.parse(line) as { create: { _id: string } }).create._id);
      const cutIds = idsOf(cut.body);
      expect(cutIds).toHaveLength(BATCH);
      const stored = await rows(integrationId);
      const documents = es.documents(ES_INDEX);
      // One document per delivery, under its id, and nothing else.
      expect([...documents.keys()].sort()).toEqual(stored.map((r) => r.id).sort());
      for (const row of stored) {
        expect(documents.get(row.id)).toBe(
          `{"@timestamp":${JSON.stringify(row.start_time.toISOString())},${row.document.slice(1)}`,
        );
      }
      // The cut batch had been stored; after the restart it went again and met its own documents.
      const sentAfter = es.requests.slice(1).flatMap((r) => idsOf(r.body));
      expect(cutIds.every((id) => sentAfter.includes(id))).toBe(true);
      expect(sentAfter.length).toBeGreaterThanOrEqual(ALERTS);
    } finally {
      await es.close();
    }
  }, 60_000);

  it('splunk_hec: every alert indexed at least once; only the cut batch is indexed twice', async () => {
    const hec: FakeSplunkHec = await startFakeSplunkHec({ tokens: [{ token: HEC_TOKEN }] });
    try {
      hec.delayAnswers('hold');
      const { integrationId, second } = await crashMidBatch(
        { kind: 'splunk_hec', url: hec.eventUrl, settings: { token: HEC_TOKEN } },
        () => hec.eventRequests().length === 1,
        () => hec.delayAnswers(0),
      );
      await second.kill('SIGTERM');
      const stored = await rows(integrationId);
      const counts = new Map<string, number>();
      for (const event of hec.received) {
        counts.set(event.rawEvent, (counts.get(event.rawEvent) ?? 0) + 1);
      }
      for (const row of stored) {
        expect(counts.get(row.document) ?? 0).toBeGreaterThanOrEqual(1);
      }
      expect(counts.size).toBe(ALERTS);
      // HEC has no idempotency: the batch out at the kill was indexed, never answered, and sent again.
      const duplicated = [...counts.values()].filter((n) => n > 1);
      const cutBatch = hec.eventRequests()[0].body.split('\n').length;
      expect(cutBatch).toBe(BATCH);
      expect(duplicated).toEqual(Array.from({ length: BATCH }, () => 2));
      expect(hec.received).toHaveLength(ALERTS + BATCH);
    } finally {
      await hec.close();
    }
  }, 60_000);
  it('sentinel: every alert stored at least once; only the cut call twice; the new process gets its own token', async () => {
    const sentinel: FakeSentinel = await startFakeSentinel({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: CLIENT_SECRET,
      dcrImmutableId: DCR,
      streamName: STREAM,
    });
    try {
      sentinel.delayAnswers('hold');
      let tokensBeforeKill = -1;
      const { integrationId, second } = await crashMidBatch(
        {
          kind: 'sentinel',
          url: sentinel.url,
          settings: sentinel.destinationSettings(),
        },
        () => sentinel.calls.length === 1,
        () => {
          tokensBeforeKill = sentinel.tokenRequests.length;
          sentinel.delayAnswers(0);
        },
      );
      await second.kill('SIGTERM');
      const stored = await rows(integrationId);
      const [cut, ...after] = sentinel.calls;
      // The cut call was taken whole (its rows are stored) and never answered.
      expect(cut.rows).toBe(BATCH);
      const cutIds = sentinel.rows.slice(0, BATCH).map((row) => row.deliveryId as string);
      expect(new Set(cutIds).size).toBe(BATCH);
      for (const row of stored) {
        const copies = sentinel.rows.filter((r) => r.deliveryId === row.id);
        expect(copies.length).toBeGreaterThanOrEqual(1);
        for (const copy of copies) {
          expect(copy.alert).toBe(row.document);
        }
      }
      // The Logs Ingestion API has no idempotency: exactly the cut call's rows are there twice, nothing else.
      const counts = tally(sentinel.rows.map((row) => row.deliveryId as string));
      expect(counts.size).toBe(ALERTS);
      expect(
        [...counts]
          .filter(([, n]) => n > 1)
          .map(([id]) => id)
          .sort(),
      ).toEqual([...cutIds].sort());
      expect([...counts.values()].filter((n) => n > 1)).toEqual(Array.from({ length: BATCH }, () => 2));
      expect(sentinel.rows).toHaveLength(ALERTS + BATCH);
      // One token per process: the first process's token died with it, the second asked Entra again.
      expect(tokensBeforeKill).toBe(1);
      expect(sentinel.tokenRequests.map((t) => t.status)).toEqual([200, 200]);
      // After the restart every delivery went once more, the cut ones included, in calls of at most one batch.
      expect(after.reduce((sum, call) => sum + call.rows, 0)).toBe(ALERTS);
      expect(after.every((call) => call.rows <= BATCH)).toBe(true);
      expect(after.every((call) => call.status === 204)).toBe(true);
      expect(new Set(after.map((call) => call.token)).size).toBe(1);
      expect(after[0].token).not.toBe(cut.token);
    } finally {
      await sentinel.close();
    }
  }, 60_000);

  it('secops: every alert imported at least once; only the cut request twice', async () => {
    const secops: FakeSecOps = await startFakeSecOps({ apiKey: SECOPS_KEY, secret: SECOPS_SECRET });
    try {
      secops.delayAnswers('hold');
      const { integrationId, second } = await crashMidBatch(
        {
          kind: 'secops',
          url: secops.url,
          settings: { apiKey: SECOPS_KEY, secret: SECOPS_SECRET },
        },
        () => secops.requests.length === 1,
        () => secops.delayAnswers(0),
      );
      await second.kill('SIGTERM');
      const stored = await rows(integrationId);
      const [cut, ...after] = secops.requests;
      expect(cut.lines).toBe(BATCH);
      const cutLines = secops.lines.slice(0, BATCH);
      const counts = tally(secops.lines);
      for (const row of stored) {
        expect(counts.get(row.document) ?? 0).toBeGreaterThanOrEqual(1);
      }
      expect(counts.size).toBe(ALERTS);
      // importPushLogs has no idempotency: the request out at the kill was imported, never answered, and sent again.
      expect(
        [...counts]
          .filter(([, n]) => n > 1)
          .map(([line]) => line)
          .sort(),
      ).toEqual([...cutLines].sort());
      expect([...counts.values()].filter((n) => n > 1)).toEqual(Array.from({ length: BATCH }, () => 2));
      expect(secops.lines).toHaveLength(ALERTS + BATCH);
      expect(after.every((r) => r.status === 200 && r.apiKeyMatched && r.secretMatched)).toBe(true);
    } finally {
      await secops.close();
    }
  }, 60_000);

  it('syslog: a receiver frozen in the TLS handshake at the kill gets every alert exactly once, byte for byte', async () => {
    const rsyslog = await Rsyslog.start();
    try {
      rsyslog.pause();
      let connectionsOut = -1;
      let connectionsAfterKill = -1;
      let receivedBeforeResume = -1;
      let openSince: number | undefined;
      const { integrationId, second } = await crashMidBatch(
        { kind: 'syslog', url: rsyslog.url, settings: { caCertificate: rsyslog.serverCertificate } },
        // The batch has been out longer than any handshake and pre-write settling (at most 1 s) would take.
        () => {
          connectionsOut = rsyslog.openClientConnections();
          if (connectionsOut === 0) {
            openSince = undefined;
            return false;
          }
          openSince ??= Date.now();
          return Date.now() - openSince >= HANDSHAKE_HELD_MS;
        },
        () => {
          connectionsAfterKill = rsyslog.openClientConnections();
          receivedBeforeResume = rsyslog.messages().length;
          rsyslog.resume();
        },
      );
      await second.kill('SIGTERM');
      const stored = await rows(integrationId);
      // One batch was out at the kill: a connection the kernel had accepted for the frozen receiver, gone with it.
      expect(connectionsOut).toBe(1);
      expect(connectionsAfterKill).toBe(0);
      expect(receivedBeforeResume).toBe(0);
      const messages = await rsyslog.waitForMessages(ALERTS);
      for (const row of stored) {
        const found = messages.filter((m) => m.structuredData.includes(`deliveryId="${row.id}"`));
        expect(found.length).toBeGreaterThanOrEqual(1);
        const body = Buffer.from(row.document, 'utf8');
        for (const message of found) {
          expect(message.raw.subarray(message.raw.length - body.length).equals(body)).toBe(true);
          expect(message.msg).toBe(row.document);
        }
      }
      // The cut connection never finished its handshake, so not one frame of it was written: no duplicate.
      // (rsyslogd handled that connection before the second process connected, so a copy would already be here.)
      const counts = tally(messages.map((m) => m.structuredData));
      expect(counts.size).toBe(ALERTS);
      expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
      expect(messages).toHaveLength(ALERTS);
    } finally {
      await rsyslog.stop();
    }
  }, 60_000);
});
