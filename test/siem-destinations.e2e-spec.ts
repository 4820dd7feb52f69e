import { FakeLacework, generateAlerts, machineIdFor } from './fakes/fake-lacework';
import { FakeSecOps, startFakeSecOps } from './fakes/fake-secops';
import { FakeSentinel, startFakeSentinel } from './fakes/fake-sentinel';
import { validateOcsf } from './setup/ocsf-schema';
import { Rsyslog } from './setup/rsyslog';
import { createIntegration, KEY, syncAndSettle } from './setup/sync-helpers';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, sleep, waitFor } from './setup/wait';
import { PIPELINE_APP_ENV } from './setup/pipeline-env';

const HOUR = 3_600_000;

const APP_ENV = PIPELINE_APP_ENV;

const TENANT = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const CLIENT = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const CLIENT_SECRET = 'Qx8~pipeline.client-secret_0123456789';
const DCR = `dcr-${'0123456789abcdef'.repeat(2)}`;
const STREAM = 'Custom-LaceworkAlerts_CL';
const API_KEY = 'AIzaSyPipelineKey_0123456789abcdefghijk';
const FEED_SECRET = 'feed-secret-pipeline-0123456789abcdef';

const SEVERITY_WORDS = ['Critical', 'High', 'Medium', 'Low', 'Info'];

/** One delivery with the stored document it carries. */
interface StoredDelivery {
  id: string;
  alert_id: string;
  version: number;
  state: string;
  attempts: number;
  last_error: string | null;
  document: string;
  severity_rank: number;
  start_time: Date;
}

describe('SIEM destinations through the whole pipeline: Lacework to sync, enrichment, outbox and sender', () => {
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;

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
  });

  afterEach(async () => {
    await lacework.close();
  });

  const createDestination = async (body: Record<string, unknown>): Promise<string> => {
    const res = await app.http
      .post('/api/v1/destinations')
      .set(asAdmin)
      .send({ name: `dest-${Math.random().toString(36).slice(2)}`, ...body });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  const destination = async (id: string): Promise<Record<string, any>> =>
    (await app.http.get(`/api/v1/destinations/${id}`).set(asViewer)).body as Record<string, any>;

  const enable = async (id: string): Promise<void> => {
    const res = await app.http.patch(`/api/v1/destinations/${id}`).set(asAdmin).send({ enabled: true });
    expect(res.status).toBe(200);
  };

  const deliveries = (integrationId: string): Promise<StoredDelivery[]> =>
    db.query<StoredDelivery>(
      `SELECT d.id, d.alert_id, d.version, d.state, d.attempts, d.last_error, v.document, v.severity_rank,
              v.start_time
         FROM deliveries d JOIN alert_versions v ON v.id = d.alert_version_id
        WHERE d.integration_id = $1 ORDER BY d.alert_id, d.version`,
      [integrationId],
    );

  const deliveryStates = async (integrationId: string): Promise<Record<string, number>> => {
    const rows = await db.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM deliveries WHERE integration_id = $1 GROUP BY state`,
      [integrationId],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]).sort());
  };

  const waitForStates = async (
    integrationId: string,
    states: Record<string, number>,
    what: string,
  ): Promise<void> => {
    let last: Record<string, number> = {};
    try {
      await waitFor(
        async () =>
          JSON.stringify((last = await deliveryStates(integrationId))) ===
          JSON.stringify(Object.fromEntries(Object.entries(states).sort())),
        30_000,
        what,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; deliveries were ${JSON.stringify(last)}`);
    }
  };

  /** Waits until no delivery of the integration is claimed, so a paused destination has settled. */
  const waitForNoClaims = (integrationId: string) =>
    waitFor(async () => {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM deliveries WHERE integration_id = $1 AND lease_owner IS NOT NULL`,
        [integrationId],
      );
      return row.n === 0;
    });

  const startTimeOf = (document: string): number =>
    new Date((JSON.parse(document) as { startTime: string }).startTime).getTime();

  describe('sentinel', () => {
    let sentinel: FakeSentinel;

    beforeEach(async () => {
      sentinel = await startFakeSentinel({
        tenantId: TENANT,
        clientId: CLIENT,
        clientSecret: CLIENT_SECRET,
        dcrImmutableId: DCR,
        streamName: STREAM,
      });
    });

    afterEach(async () => {
      await sentinel.close();
    });

    const createSentinel = (enabled = true): Promise<string> =>
      createDestination({
        kind: 'sentinel',
        url: sentinel.url,
        settings: sentinel.destinationSettings(),
        batch: { maxEvents: 2 },
        enabled,
      });

    it('stores each alert as a row whose Alert is the document, retries a call throttled with 429 Retry-After, one token', async () => {
      lacework.addAlerts(generateAlerts(4, { start: hourStart(3 * HOUR), hours: 2, firstId: 110_000 }));
      sentinel.failNext(1, 429, 1);
      const destinationId = await createSentinel(false);
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      // Enabled once all four wait: two calls of two rows.
      await enable(destinationId);
      await waitForStates(id, { delivered: 4 }, 'the four deliveries');

      const stored = await deliveries(id);
      expect(stored).toHaveLength(4);
      // The throttled call stored nothing, so every alert is there exactly once.
      expect(sentinel.rows).toHaveLength(4);
      for (const delivery of stored) {
        const rows = sentinel.rows.filter((r) => r.deliveryId === delivery.id);
        expect(rows).toHaveLength(1);
        const [row] = rows;
        expect(row.alert).toBe(delivery.document);
        expect(row.alertId).toBe(delivery.alert_id);
        expect(row.alertVersion).toBe(1);
        expect(row.severity).toBe(SEVERITY_WORDS[delivery.severity_rank - 1]);
        expect(row.timeGenerated).toBe(new Date(startTimeOf(delivery.document)).toISOString());
        expect(new Date(row.timeGenerated as string).getTime()).toBe(delivery.start_time.getTime());
      }
      expect(sentinel.tokenRequests).toHaveLength(1);
      expect(sentinel.calls.map((c) => c.status).sort()).toEqual([204, 204, 429]);

      // The two deliveries of the throttled call were tried again (Retry-After is capped by the scaled schedule).
      const retried = stored.filter((d) => d.attempts === 2);
      expect(retried).toHaveLength(2);
      for (const delivery of retried) {
        const detail = await app.http.get(`/api/v1/deliveries/${delivery.id}`).set(asViewer);
        const log = detail.body.attemptLog as { statusCode: number; error: string }[];
        expect(log.map((a) => a.statusCode)).toEqual([429, 204]);
        expect(log[0].error).toMatch(/429/);
      }
      expect(stored.filter((d) => d.attempts === 1)).toHaveLength(2);
    });

    it('pauses as refused when the app loses its role, keeps every delivery open, and delivers once resumed', async () => {
      lacework.addAlerts(generateAlerts(3, { start: hourStart(3 * HOUR), hours: 2, firstId: 120_000 }));
      sentinel.setRoleAssigned(false);
      const destinationId = await createSentinel();
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      await waitFor(async () => (await destination(destinationId)).state === 'paused', 20_000, 'the pause');
      await waitForNoClaims(id);
      const paused = await destination(destinationId);
      expect(paused.pausedReason).toMatch(/^refused: /);
      expect(paused.pausedReason).toMatch(/403/);
      expect(JSON.stringify(paused)).not.toContain(CLIENT_SECRET);
      const callsWhilePaused = sentinel.calls.length;
      expect(callsWhilePaused).toBeGreaterThanOrEqual(1);
      await sleep(700);
      // Held: no probe, nothing dead, no attempt counted against the alerts.
      expect(sentinel.calls).toHaveLength(callsWhilePaused);
      expect(await deliveryStates(id)).toEqual({ pending: 3 });
      expect((await deliveries(id)).every((d) => d.attempts === 0)).toBe(true);
      expect(sentinel.rows).toHaveLength(0);

      sentinel.setRoleAssigned(true);
      const resumed = await app.http
        .patch(`/api/v1/destinations/${destinationId}`)
        .set(asAdmin)
        .send({ enabled: true });
      expect(resumed.status).toBe(200);
      expect(resumed.body.state).toBe('ok');
      expect(resumed.body.pausedReason).toBeNull();
      await waitForStates(id, { delivered: 3 }, 'the three deliveries after resuming');
      const stored = await deliveries(id);
      expect(sentinel.alerts.sort()).toEqual(stored.map((d) => d.document).sort());
      expect(sentinel.tokenRequests).toHaveLength(1);
    });
  });

  describe('secops', () => {
    let secops: FakeSecOps;

    beforeEach(async () => {
      secops = await startFakeSecOps({ apiKey: API_KEY, secret: FEED_SECRET });
    });

    afterEach(async () => {
      await secops.close();
    });

    const createSecOps = (secret = FEED_SECRET, extra: Record<string, unknown> = {}): Promise<string> =>
      createDestination({
        kind: 'secops',
        url: secops.url,
        settings: { apiKey: API_KEY, secret },
        ...extra,
      });

    it('delivers each document as one line, and kills only the event the feed refuses', async () => {
      lacework.addAlerts(generateAlerts(4, { start: hourStart(3 * HOUR), hours: 2, firstId: 130_000 }));
      const bad = '130002';
      secops.rejectLineWhen((line) => line.includes(machineIdFor(bad)));
      const destinationId = await createSecOps(FEED_SECRET, { enabled: false });
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      // Enabled once all four wait, so they go out as one batch.
      await enable(destinationId);
      await waitForStates(id, { delivered: 3, dead: 1 }, 'three delivered and one dead');

      const stored = await deliveries(id);
      const dead = stored.find((d) => d.state === 'dead')!;
      expect(dead.alert_id).toBe(bad);
      expect(dead.attempts).toBe(1);
      expect(dead.last_error).toMatch(/Google SecOps refused the data/);
      expect(dead.last_error).toMatch(/entry 0 could not be imported/);
      expect(dead.last_error).toMatch(/HTTP 400/);
      const delivered = stored.filter((d) => d.state === 'delivered');
      expect([...secops.lines].sort()).toEqual(delivered.map((d) => d.document).sort());
      expect(secops.lines.some((line) => line.includes(machineIdFor(bad)))).toBe(false);
      // The whole batch first, refused; then each event alone.
      expect(secops.requests[0]).toMatchObject({ status: 400, lines: 4 });
      expect(secops.requests.slice(1).map((r) => r.lines)).toEqual([1, 1, 1, 1]);
      expect(
        secops.requests
          .slice(1)
          .map((r) => r.status)
          .sort(),
      ).toEqual([200, 200, 200, 400]);
      expect((await destination(destinationId)).state).toBe('ok');
    });

    it('pauses as refused on a wrong feed secret and keeps the alerts waiting', async () => {
      lacework.addAlerts(generateAlerts(2, { start: hourStart(3 * HOUR), hours: 2, firstId: 140_000 }));
      const wrong = 'not-the-feed-secret-0123456789';
      const destinationId = await createSecOps(wrong);
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      await waitFor(async () => (await destination(destinationId)).state === 'paused', 20_000, 'the pause');
      await waitForNoClaims(id);
      const paused = await destination(destinationId);
      expect(paused.pausedReason).toMatch(/^refused: Google SecOps refused the API key or the feed secret/);
      expect(paused.pausedReason).toMatch(/HTTP 403/);
      expect(JSON.stringify(paused)).not.toContain(wrong);
      expect(await deliveryStates(id)).toEqual({ pending: 2 });
      expect(secops.lines).toHaveLength(0);
      expect(secops.requests.every((r) => !r.secretMatched && r.apiKeyMatched)).toBe(true);

      // New settings resume a destination held for refusing the old ones.
      const fixed = await app.http
        .patch(`/api/v1/destinations/${destinationId}`)
        .set(asAdmin)
        .send({ settings: { secret: FEED_SECRET } });
      expect(fixed.status).toBe(200);
      expect(fixed.body.state).toBe('ok');
      await waitForStates(id, { delivered: 2 }, 'both deliveries once fixed');
      expect(secops.lines).toHaveLength(2);
    });

    it('renders OCSF end to end: valid findings, Create, Update and Close, the document under unmapped', async () => {
      lacework.addAlerts(
        // Within the live lane's window, so later syncs see the changes.
        generateAlerts(2, {
          start: hourStart(HOUR),
          hours: 1,
          firstId: 150_000,
          severities: ['High'],
        }),
      );
      const destinationId = await createSecOps(FEED_SECRET, { format: 'ocsf' });
      expect((await destination(destinationId)).format).toBe('ocsf');
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      await waitForStates(id, { delivered: 2 }, 'version 1 of both alerts');
      lacework.updateAlert('150000', { severity: 'Critical' });
      await syncAndSettle(app, db, id);
      await waitForStates(id, { delivered: 3 }, 'version 2 of the changed alert');
      lacework.updateAlert('150000', { status: 'Closed' });
      await syncAndSettle(app, db, id);
      await waitForStates(id, { delivered: 4 }, 'version 3 of the closed alert');

      const stored = await deliveries(id);
      expect(stored.map((d) => [d.alert_id, d.version])).toEqual([
        ['150000', 1],
        ['150000', 2],
        ['150000', 3],
        ['150001', 1],
      ]);
      expect(secops.lines).toHaveLength(4);
      const findings = new Map<string, { text: string; value: Record<string, any> }>();
      for (const line of secops.lines) {
        expect(validateOcsf(line)).toEqual([]);
        const value = JSON.parse(line) as Record<string, any>;
        findings.set(value.metadata.uid as string, { text: line, value });
      }
      const expected: Record<string, [number, string, number]> = {
        '150000/1': [1, 'Create', 4],
        '150000/2': [2, 'Update', 5],
        '150000/3': [3, 'Close', 5],
        '150001/1': [1, 'Create', 4],
      };
      for (const delivery of stored) {
        const finding = findings.get(delivery.id);
        expect(finding).toBeDefined();
        const [activityId, activityName, severityId] = expected[`${delivery.alert_id}/${delivery.version}`];
        expect(finding!.value).toMatchObject({
          class_uid: 2004,
          activity_id: activityId,
          activity_name: activityName,
          type_uid: 200400 + activityId,
          severity_id: severityId,
          finding_info: { uid: delivery.alert_id },
        });
        expect(finding!.value.status).toBe(delivery.version === 3 ? 'Resolved' : 'New');
        // The stored document travels verbatim, as the text it is.
        expect(finding!.text.endsWith(`,"unmapped":{"lacework":${delivery.document}}}`)).toBe(true);
        expect(finding!.value.unmapped.lacework).toEqual(JSON.parse(delivery.document));
      }
    });
  });

  describe('syslog to a real rsyslog', () => {
    const receivers: Rsyslog[] = [];

    afterEach(async () => {
      for (const receiver of receivers.splice(0)) {
        await receiver.stop();
      }
    });

    const startReceiver = async (): Promise<Rsyslog> => {
      const receiver = await Rsyslog.start();
      receivers.push(receiver);
      return receiver;
    };

    it('delivers each document as the MSG byte for byte, and redelivers once the receiver is back', async () => {
      const first = await startReceiver();
      lacework.addAlerts(generateAlerts(3, { start: hourStart(3 * HOUR), hours: 2, firstId: 160_000 }));
      const destinationId = await createDestination({
        kind: 'syslog',
        url: first.url,
        settings: { caCertificate: first.serverCertificate },
      });
      const id = await createIntegration(app, lacework, { destinationIds: [destinationId] });
      await syncAndSettle(app, db, id);
      await waitForStates(id, { delivered: 3 }, 'the three deliveries');

      const checkArrived = (receiver: Rsyslog, stored: StoredDelivery[]): void => {
        const messages = receiver.messages();
        for (const delivery of stored) {
          const found = messages.filter((m) => m.structuredData.includes(`deliveryId="${delivery.id}"`));
          expect(found).toHaveLength(1);
          const [message] = found;
          const body = Buffer.from(delivery.document, 'utf8');
          expect(message.raw.subarray(message.raw.length - body.length).equals(body)).toBe(true);
          expect(
            message.raw.subarray(message.raw.length - body.length - 2, message.raw.length - body.length),
          ).toEqual(Buffer.from('] '));
          expect(message.msg).toBe(delivery.document);
          expect(message.structuredData).toBe(
            `[lacework@32473 alertId="${delivery.alert_id}" severity="${SEVERITY_WORDS[delivery.severity_rank - 1]}" version="${delivery.version}" deliveryId="${delivery.id}"]`,
          );
          expect(message.timestamp).toBe(new Date(delivery.start_time).toISOString());
        }
      };
      const firstBatch = await deliveries(id);
      await first.waitForMessages(3);
      checkArrived(first, firstBatch);
      expect(first.messages()).toHaveLength(3);

      // The receiver goes away; its replacement listens on another port (rsyslog picks a free one).
      await first.stop();
      const second = await startReceiver();
      await app.http
        .patch(`/api/v1/destinations/${destinationId}`)
        .set(asAdmin)
        .send({ enabled: false })
        .expect(200);
      lacework.addAlerts(generateAlerts(2, { start: hourStart(HOUR), hours: 1, firstId: 161_000 }));
      await syncAndSettle(app, db, id);
      // Both new alerts go out together, fail against the stopped receiver and wait for their retries.
      await enable(destinationId);
      await waitFor(
        async () => {
          const waiting = (await deliveries(id)).filter((d) => d.alert_id.startsWith('161'));
          return waiting.length === 2 && waiting.every((d) => d.attempts >= 2);
        },
        10_000,
        'two failed attempts of each new delivery',
      );
      const failing = (await deliveries(id)).filter((d) => d.alert_id.startsWith('161'));
      expect(failing.map((d) => d.state)).toEqual(['failed', 'failed']);
      expect(failing.map((d) => d.last_error)).toEqual([
        'network error ECONNREFUSED',
        'network error ECONNREFUSED',
      ]);

      // The operator points the destination at the new receiver; the retries reach it.
      const moved = await app.http
        .patch(`/api/v1/destinations/${destinationId}`)
        .set(asAdmin)
        .send({ url: second.url, settings: { caCertificate: second.serverCertificate } });
      expect(moved.status).toBe(200);
      expect(moved.body.url).toBe(second.url);
      await waitForStates(id, { delivered: 5 }, 'all five deliveries');
      const all = await deliveries(id);
      await second.waitForMessages(2);
      checkArrived(
        second,
        all.filter((d) => d.alert_id.startsWith('161')),
      );
      expect(second.messages()).toHaveLength(2);
      expect(all.filter((d) => d.alert_id.startsWith('161')).every((d) => d.attempts >= 3)).toBe(true);
    });
  });
});
