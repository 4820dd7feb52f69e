import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

const SEVERITY_RANK: Record<string, number> = { Critical: 1, High: 2, Medium: 3, Low: 4, Info: 5 };
const FRESH = { 'Cache-Control': 'no-cache' };

interface IntegrationFields {
  enabled?: boolean;
  cursorMinutesAgo?: number | null;
  lastAuthError?: string | null;
  destinationId?: string | null;
  /** Fan-out: every destination; the first is `destinationId`. */
  destinationIds?: string[];
  requestsPerHour?: number;
}

interface RunFields {
  status: 'running' | 'succeeded' | 'failed';
  minutesAgo: number;
  errorClass?: string | null;
  errorMessage?: string | null;
  alertsNew?: number;
  alertsChanged?: number;
  startedAt?: string;
}

interface AlertFields {
  severity?: string;
  state?: string;
  startMinutesAgo?: number;
  updatedMinutesAgo?: number;
}

interface StatusBody {
  generatedAt: string;
  totals: Record<string, any>;
  integrations: Record<string, any>[];
  destinations: Record<string, any>[];
}

describe('dashboard: status of every integration, charts', () => {
  let db: TestDatabase;
  let app: TestApp;
  let alertCounter = 0;
  const ids: Record<string, string> = {};
  const destinations: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  async function insertDestination(
    name: string,
    fields: { enabled?: boolean; pausedReason?: string | null; lastSuccessMinutesAgo?: number } = {},
  ): Promise<string> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO destinations (name, url, signing_secret_sealed, enabled, paused_reason, last_success_at, last_error)
       VALUES ($1, 'http://127.0.0.1:9/hook', 'sealed', $2, $3, now() - $5::int * interval '1 minute', $4)
       RETURNING id`,
      [
        name,
        fields.enabled ?? true,
        fields.pausedReason ?? null,
        fields.pausedReason ? 'HTTP 410 Gone' : null,
        fields.lastSuccessMinutesAgo ?? 10,
      ],
    );
    return row.id;
  }

  async function insertIntegration(name: string, fields: IntegrationFields = {}): Promise<string> {
    const cursor = fields.cursorMinutesAgo === undefined ? 5 : fields.cursorMinutesAgo;
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO integrations (name, organization_url, account, key_id, secret_sealed, secret_hint, enabled,
                                 sync_cursor, last_auth_error, destination_id, destination_ids, requests_per_hour)
       VALUES ($1, 'https://acme.lacework.net', 'acme', 'ACME_KEY', 'not-a-real-sealed-secret', 'cdef', $2,
               CASE WHEN $3::int IS NULL THEN NULL ELSE now() - $3::int * interval '1 minute' END, $4, $5::uuid,
               COALESCE($7::uuid[], CASE WHEN $5::uuid IS NULL THEN '{}'::uuid[] ELSE ARRAY[$5::uuid] END), $6)
       RETURNING id`,
      [
        name,
        fields.enabled ?? true,
        cursor,
        fields.lastAuthError ?? null,
        fields.destinationId === undefined ? destinations.ok : fields.destinationId,
        fields.requestsPerHour ?? 480,
        fields.destinationIds ?? null,
      ],
    );
    ids[name] = row.id;
    return row.id;
  }

  async function insertRun(integrationId: string, run: RunFields): Promise<string> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO sync_runs (integration_id, trigger, status, started_at, finished_at, window_start, window_end,
                              alerts_new, alerts_changed, error_class, error_message)
       SELECT $1, 'schedule', $2::text, s.at, CASE WHEN $2::text = 'running' THEN NULL ELSE s.at + interval '20 seconds' END,
              s.at - interval '3 hours', s.at, $5, $6, $7, $8
         FROM (SELECT COALESCE($3::timestamptz, now() - $4::int * interval '1 minute') AS at) s
       RETURNING id`,
      [
        integrationId,
        run.status,
        run.startedAt ?? null,
        run.minutesAgo,
        run.alertsNew ?? 0,
        run.alertsChanged ?? 0,
        run.errorClass ?? null,
        run.errorMessage ?? null,
      ],
    );
    return row.id;
  }

  async function insertAlert(integrationId: string, fields: AlertFields = {}): Promise<string> {
    alertCounter += 1;
    const severity = fields.severity ?? 'High';
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO alerts (integration_id, alert_id, current_version, list_hash, severity, severity_rank, status,
                           alert_type, alert_name, start_time, state, first_seen_at, updated_at)
       VALUES ($1, $2, 1, repeat('a', 64), $3, $4, 'Open', 'NewExternalServerIp', 'alert',
               now() - $5::int * interval '1 minute', $6, now() - $5::int * interval '1 minute',
               now() - $7::int * interval '1 minute')
       RETURNING id`,
      [
        integrationId,
        String(alertCounter),
        severity,
        SEVERITY_RANK[severity],
        fields.startMinutesAgo ?? 60,
        fields.state ?? 'complete',
        fields.updatedMinutesAgo ?? 1,
      ],
    );
    return row.id;
  }

  async function insertVersion(
    alertRowId: string,
    state: string,
    createdMinutesAgo: number,
  ): Promise<string> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO alert_versions (alert_row_id, integration_id, alert_id, version, list_record, list_hash,
                                   severity_rank, start_time, state, created_at)
       SELECT a.id, a.integration_id, a.alert_id, 1, '{}', a.list_hash, a.severity_rank, a.start_time, $2,
              now() - $3::int * interval '1 minute'
         FROM alerts a WHERE a.id = $1
       RETURNING id`,
      [alertRowId, state, createdMinutesAgo],
    );
    return row.id;
  }

  /** An alert with a version in the enrichment queue since `minutesAgo`. */
  async function insertPending(integrationId: string, minutesAgo: number): Promise<void> {
    await insertVersion(await insertAlert(integrationId, { state: 'pending' }), 'pending', minutesAgo);
  }

  async function insertDelivery(
    integrationId: string,
    state: string,
    fields: { destinationId?: string | null; updatedMinutesAgo?: number; deliveredAt?: string | null } = {},
  ): Promise<void> {
    const versionId = await insertVersion(await insertAlert(integrationId), 'complete', 30);
    await db.query(
      `INSERT INTO deliveries (alert_version_id, alert_row_id, integration_id, destination_id, alert_id, version,
                               severity_rank, webhook_id, state, delivered_at, updated_at)
       SELECT v.id, v.alert_row_id, v.integration_id, $2, v.alert_id, 1, v.severity_rank, 'msg_' || v.id, $3, $4,
              now() - $5::int * interval '1 minute'
         FROM alert_versions v WHERE v.id = $1`,
      [
        versionId,
        fields.destinationId === undefined ? destinations.ok : fields.destinationId,
        state,
        fields.deliveredAt ?? null,
        fields.updatedMinutesAgo ?? 1,
      ],
    );
  }

  /** A healthy history: two successful runs, the last one five minutes ago. */
  async function syncedTwice(integrationId: string): Promise<void> {
    await insertRun(integrationId, { status: 'succeeded', minutesAgo: 10 });
    await insertRun(integrationId, { status: 'succeeded', minutesAgo: 5 });
  }

  const freshStatus = async (): Promise<StatusBody> => {
    const res = await app.http.get('/api/v1/status').set(asAdmin).set(FRESH);
    expect(res.status).toBe(200);
    return res.body as StatusBody;
  };

  const entry = (body: StatusBody, name: string): Record<string, any> => {
    const found = body.integrations.find((i) => i.name === name);
    if (found === undefined) {
      throw new Error(`${name} is not in the status`);
    }
    return found;
  };

  describe('GET /status and GET /integrations/:id/status', () => {
    let body: StatusBody;

    beforeAll(async () => {
      destinations.ok = await insertDestination('ok-pipe');
      destinations.paused = await insertDestination('paused-pipe', {
        pausedReason: 'gone: the receiver answered 410',
      });
      destinations.failing = await insertDestination('failing-pipe');
      destinations.disabled = await insertDestination('disabled-pipe', { enabled: false });
      destinations.recovering = await insertDestination('recovering-pipe', { lastSuccessMinutesAgo: 1 });

      await insertIntegration('never-synced', { cursorMinutesAgo: null });

      const healthy = await insertIntegration('healthy');
      await syncedTwice(healthy);
      await insertAlert(healthy, { severity: 'Critical', startMinutesAgo: 30 });
      await insertAlert(healthy, { severity: 'Critical', startMinutesAgo: 600 });
      await insertAlert(healthy, { severity: 'High', startMinutesAgo: 1000 });
      await insertAlert(healthy, { severity: 'Low', startMinutesAgo: 2 * 24 * 60 });
      await insertPending(healthy, 1);
      await insertPending(healthy, 2);
      await insertDelivery(healthy, 'delivered', { deliveredAt: new Date().toISOString() });
      await db.query(
        `INSERT INTO lacework_requests (integration_id, sent_at)
         SELECT $1::uuid, now() - g * interval '1 minute' FROM generate_series(1, 12) g
         UNION ALL SELECT $1::uuid, now() - interval '61 minutes' FROM generate_series(1, 3)`,
        [healthy],
      );
      await db.query(
        `INSERT INTO lacework_calls (integration_id, at, kind, outcome, status, duration_ms)
         VALUES ($1, now() - interval '5 minutes', 'list', 'rate_limited', 429, 10),
                ($1, now() - interval '6 minutes', 'scope', 'rate_limited', 429, 10),
                ($1, now() - interval '2 hours', 'scope', 'rate_limited', 429, 10),
                ($1, now() - interval '5 minutes', 'scope', 'ok', 200, 10)`,
        [healthy],
      );

      const auth = await insertIntegration('auth-failing', {
        lastAuthError: 'Lacework refused the API key (401)',
      });
      await insertRun(auth, { status: 'succeeded', minutesAgo: 30 });
      await insertRun(auth, {
        status: 'failed',
        minutesAgo: 10,
        errorClass: 'auth',
        errorMessage: 'key refused',
      });
      await insertRun(auth, {
        status: 'failed',
        minutesAgo: 5,
        errorClass: 'auth',
        errorMessage: 'key refused',
      });

      const three = await insertIntegration('three-failures', { cursorMinutesAgo: 8 });
      await insertRun(three, { status: 'succeeded', minutesAgo: 20 });
      for (const minutesAgo of [15, 10, 5]) {
        await insertRun(three, {
          status: 'failed',
          minutesAgo,
          errorClass: 'upstream',
          errorMessage: 'HTTP 503',
        });
      }

      const lastFailed = await insertIntegration('last-run-failed');
      await insertRun(lastFailed, { status: 'succeeded', minutesAgo: 10 });
      await insertRun(lastFailed, {
        status: 'failed',
        minutesAgo: 5,
        errorClass: 'rate_limit',
        errorMessage: '429',
      });
      await insertRun(lastFailed, { status: 'running', minutesAgo: 0 });

      const growing = await insertIntegration('backlog-growing');
      await syncedTwice(growing);
      for (let i = 0; i < 5; i += 1) {
        await insertPending(growing, 120);
      }

      const slow = await insertIntegration('budget-too-small', { requestsPerHour: 6 });
      await syncedTwice(slow);
      await insertPending(slow, 1);
      await insertPending(slow, 1);

      const paused = await insertIntegration('destination-paused', { destinationId: destinations.paused });
      await syncedTwice(paused);
      await insertDelivery(paused, 'pending', { destinationId: destinations.paused });

      // Fan-out: the first destination is fine, the second paused; health looks at both.
      const fanOut = await insertIntegration('fan-out-second-paused', {
        destinationIds: [destinations.ok, destinations.paused],
      });
      await syncedTwice(fanOut);

      const dead = await insertIntegration('deliveries-dead');
      await syncedTwice(dead);
      await insertDelivery(dead, 'dead', { updatedMinutesAgo: 10 });
      await insertDelivery(dead, 'dead', { updatedMinutesAgo: 20 });
      await insertDelivery(dead, 'dead', { updatedMinutesAgo: 3 * 24 * 60 });
      await insertDelivery(dead, 'failed', { destinationId: destinations.failing });
      await insertDelivery(dead, 'failed', { destinationId: destinations.recovering });
      await insertDelivery(dead, 'pending');

      const incomplete = await insertIntegration('alerts-incomplete');
      await syncedTwice(incomplete);
      await insertAlert(incomplete, { state: 'incomplete', updatedMinutesAgo: 30 });
      await insertAlert(incomplete, { state: 'incomplete', updatedMinutesAgo: 2 * 24 * 60 });

      const disabled = await insertIntegration('disabled', { enabled: false });
      await syncedTwice(disabled);
      await insertPending(disabled, 300);

      const lagging = await insertIntegration('lagging', { cursorMinutesAgo: 120 });
      await insertRun(lagging, { status: 'succeeded', minutesAgo: 120 });

      const orphan = await insertIntegration('no-destination', { destinationId: null });
      await syncedTwice(orphan);
      await insertDelivery(orphan, 'pending', { destinationId: null });

      const deleted = await insertIntegration('deleted');
      await db.query(`UPDATE integrations SET deleted_at = now(), enabled = false WHERE id = $1`, [deleted]);

      body = await freshStatus();
    });

    it('says never_synced before the first successful run', () => {
      expect(entry(body, 'never-synced')).toEqual({
        id: ids['never-synced'],
        name: 'never-synced',
        enabled: true,
        health: 'never_synced',
        healthReason: 'no successful sync yet',
        advice: null,
        lastRun: null,
        lastSuccessAt: null,
        cursor: null,
        lagSeconds: null,
        lastHintAt: null,
        lastHintAgeSeconds: null,
        backlog: {
          enrichmentPending: 0,
          enrichmentFailed: 0,
          incomplete: 0,
          deliveryPending: 0,
          deliveryDead: 0,
        },
        alertsLast24h: { Critical: 0, High: 0, Medium: 0, Low: 0, Info: 0 },
        budget: {
          requestsPerHour: 480,
          learnedRequestsPerHour: 480,
          usedLastHour: 0,
          rateLimitedLastHour: 0,
          projectedBacklogDrainMinutes: 0,
        },
      });
    });

    it('shows a healthy integration with its last run, lag, alerts of the last 24 hours and budget', async () => {
      const healthy = entry(body, 'healthy');
      const [run] = await db.query<{ id: string; started_at: Date; finished_at: Date }>(
        `SELECT id, started_at, finished_at FROM sync_runs WHERE integration_id = $1 ORDER BY started_at DESC LIMIT 1`,
        [ids.healthy],
      );
      expect(healthy).toMatchObject({
        health: 'ok',
        healthReason: null,
        lastRun: {
          id: run.id,
          trigger: 'schedule',
          status: 'succeeded',
          startedAt: run.started_at.toISOString(),
          finishedAt: run.finished_at.toISOString(),
          durationSeconds: 20,
          error: null,
        },
        lastSuccessAt: run.finished_at.toISOString(),
        backlog: {
          enrichmentPending: 2,
          enrichmentFailed: 0,
          incomplete: 0,
          deliveryPending: 0,
          deliveryDead: 0,
        },
        alertsLast24h: { Critical: 2, High: 4, Medium: 0, Low: 0, Info: 0 },
        budget: {
          requestsPerHour: 480,
          learnedRequestsPerHour: 480,
          usedLastHour: 12,
          rateLimitedLastHour: 2,
          projectedBacklogDrainMinutes: 2,
        },
      });
      expect(healthy.lagSeconds).toBeGreaterThanOrEqual(299);
      expect(healthy.lagSeconds).toBeLessThan(360);
      expect(Date.parse(healthy.cursor)).toBeLessThan(Date.parse(body.generatedAt));
    });

    it('says failing on an authentication error and after three failed runs', () => {
      expect(entry(body, 'auth-failing')).toMatchObject({
        health: 'failing',
        healthReason: 'authentication failed: Lacework refused the API key (401)',
        lastRun: { status: 'failed', error: { class: 'auth', message: 'key refused' } },
      });
      expect(entry(body, 'three-failures')).toMatchObject({
        health: 'failing',
        healthReason: 'last 3 sync runs failed (upstream: HTTP 503)',
      });
    });

    it('says degraded after a failed run, while the next one runs', () => {
      expect(entry(body, 'last-run-failed')).toMatchObject({
        health: 'degraded',
        healthReason: 'last sync run failed (rate_limit: 429)',
        lastRun: { status: 'running', finishedAt: null, durationSeconds: null },
      });
    });

    it('says degraded when the enrichment backlog is not keeping up', () => {
      expect(entry(body, 'backlog-growing')).toMatchObject({
        health: 'degraded',
        healthReason:
          'enrichment backlog growing (5 alert versions pending, oldest waiting 120 min, ~4 min to drain at the request budget)',
        backlog: { enrichmentPending: 5 },
      });
      expect(entry(body, 'budget-too-small')).toMatchObject({
        health: 'degraded',
        healthReason: expect.stringMatching(
          /^enrichment backlog growing \(2 alert versions pending, .*~120 min to drain/,
        ),
        budget: { requestsPerHour: 6, projectedBacklogDrainMinutes: 120 },
      });
    });

    it('shows destinations paused, failing and ok, and degrades the integrations behind a paused one', () => {
      const byName = Object.fromEntries(body.destinations.map((d) => [d.name, d]));
      expect(byName['ok-pipe']).toEqual({
        id: destinations.ok,
        name: 'ok-pipe',
        state: 'ok',
        reason: null,
        lastSuccessAt: expect.any(String),
        lastError: null,
        successRate24h: null,
        attempts24h: 0,
        oldestUndeliveredAt: expect.any(String),
        dead: 3,
      });
      expect(byName['paused-pipe']).toMatchObject({
        state: 'paused',
        reason: 'gone: the receiver answered 410',
        lastError: 'HTTP 410 Gone',
      });
      expect(byName['failing-pipe']).toMatchObject({ state: 'failing', reason: null });
      expect(byName['disabled-pipe']).toMatchObject({ state: 'paused', reason: 'disabled' });
      // A retry is waiting, but other deliveries got through a minute ago.
      expect(byName['recovering-pipe']).toMatchObject({ state: 'ok' });
      expect(entry(body, 'destination-paused')).toMatchObject({
        health: 'degraded',
        healthReason: 'destination paused-pipe paused: gone: the receiver answered 410',
        backlog: { deliveryPending: 1 },
      });
      expect(entry(body, 'fan-out-second-paused')).toMatchObject({
        health: 'degraded',
        healthReason: 'destination paused-pipe paused: gone: the receiver answered 410',
      });
      expect(entry(body, 'no-destination')).toMatchObject({
        health: 'degraded',
        healthReason: '1 delivery waiting: no destination configured',
      });
    });

    it('says degraded by dead deliveries and incomplete alerts of the last 24 hours, counting all of them', () => {
      expect(entry(body, 'deliveries-dead')).toMatchObject({
        health: 'degraded',
        healthReason: '2 deliveries dead in the last 24 h',
        backlog: { deliveryDead: 3, deliveryPending: 3 },
      });
      expect(entry(body, 'alerts-incomplete')).toMatchObject({
        health: 'degraded',
        healthReason: '1 alert incomplete in the last 24 h',
        backlog: { incomplete: 2 },
      });
    });

    it('says paused for a disabled integration and degraded for a lagging cursor', () => {
      expect(entry(body, 'disabled')).toMatchObject({
        enabled: false,
        health: 'paused',
        healthReason: 'integration disabled',
        backlog: { enrichmentPending: 1 },
        budget: { projectedBacklogDrainMinutes: null },
      });
      expect(entry(body, 'lagging')).toMatchObject({
        health: 'degraded',
        healthReason: 'sync lagging: cursor 120 min behind',
      });
    });

    it('leaves deleted integrations out and counts exactly what the database holds', async () => {
      expect(body.integrations.map((i) => i.name)).not.toContain('deleted');
      const counts = await db.query<{
        id: string;
        ep: number;
        ef: number;
        inc: number;
        dp: number;
        dd: number;
      }>(
        `SELECT i.id,
                (SELECT count(*)::int FROM alert_versions v WHERE v.integration_id = i.id AND v.state = 'pending') AS ep,
                (SELECT count(*)::int FROM alert_versions v WHERE v.integration_id = i.id AND v.state = 'failed') AS ef,
                (SELECT count(*)::int FROM alerts a WHERE a.integration_id = i.id AND a.state = 'incomplete') AS inc,
                (SELECT count(*)::int FROM deliveries d
                  WHERE d.integration_id = i.id AND d.state IN ('pending', 'failed')) AS dp,
                (SELECT count(*)::int FROM deliveries d WHERE d.integration_id = i.id AND d.state = 'dead') AS dd
           FROM integrations i WHERE i.deleted_at IS NULL ORDER BY i.created_at, i.id`,
      );
      expect(body.integrations.map((i) => [i.id, i.backlog])).toEqual(
        counts.map((c) => [
          c.id,
          {
            enrichmentPending: c.ep,
            enrichmentFailed: c.ef,
            incomplete: c.inc,
            deliveryPending: c.dp,
            deliveryDead: c.dd,
          },
        ]),
      );
      const sum = (f: (c: (typeof counts)[number]) => number) => counts.reduce((s, c) => s + f(c), 0);
      const recent = await db.query<{ severity: string; n: number }>(
        `SELECT a.severity, count(*)::int AS n FROM alerts a JOIN integrations i ON i.id = a.integration_id
          WHERE i.deleted_at IS NULL AND a.start_time >= now() - interval '24 hours' GROUP BY a.severity`,
      );
      const health = { ok: 0, degraded: 0, failing: 0, paused: 0, never_synced: 0 } as Record<string, number>;
      for (const i of body.integrations) {
        health[i.health] += 1;
      }
      expect(body.totals).toEqual({
        integrations: counts.length,
        health,
        destinations: 5,
        destinationsNotOk: 3,
        alertsLast24h: {
          Medium: 0,
          Low: 0,
          Info: 0,
          ...Object.fromEntries(recent.map((r) => [r.severity, r.n])),
        },
        enrichmentPending: sum((c) => c.ep),
        enrichmentFailed: sum((c) => c.ef),
        incomplete: sum((c) => c.inc),
        deliveryPending: sum((c) => c.dp),
        deliveryDead: sum((c) => c.dd),
        requestsLastHour: 12,
        rateLimitedLastHour: 2,
      });
      expect(health).toEqual({ ok: 1, degraded: 9, failing: 2, paused: 1, never_synced: 1 });
    });

    it('answers one integration as the overview shows it; 404 for unknown or deleted, 400 for a bad id', async () => {
      for (const item of body.integrations) {
        const res = await app.http.get(`/api/v1/integrations/${item.id}/status`).set(asViewer);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          ...item,
          lagSeconds: item.lagSeconds === null ? null : expect.any(Number),
        });
      }
      const unknown = await app.http
        .get('/api/v1/integrations/00000000-0000-4000-8000-000000000000/status')
        .set(asViewer);
      expect(unknown.status).toBe(404);
      expect((await app.http.get(`/api/v1/integrations/${ids.deleted}/status`).set(asViewer)).status).toBe(
        404,
      );
      const bad = await app.http.get('/api/v1/integrations/not-a-uuid/status').set(asViewer);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/^id:/);
    });

    it('serves the overview from a short cache unless asked for fresh figures', async () => {
      const probe = await insertIntegration('cache-probe');
      const first = await freshStatus();
      expect(entry(first, 'cache-probe').backlog.enrichmentPending).toBe(0);
      await insertPending(probe, 1);
      const cached = await app.http.get('/api/v1/status').set(asViewer);
      expect(cached.body.generatedAt).toBe(first.generatedAt);
      expect(entry(cached.body as StatusBody, 'cache-probe').backlog.enrichmentPending).toBe(0);
      const fresh = await freshStatus();
      expect(entry(fresh, 'cache-probe').backlog.enrichmentPending).toBe(1);
    });

    it("reads at most once a second for a viewer's no-cache, however often and however many ask", async () => {
      const started = Date.now();
      const seen = new Set<string>();
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(
          Array.from({ length: 5 }, () => app.http.get('/api/v1/status').set(asViewer).set(FRESH)),
        );
        for (const res of answers) {
          expect(res.status).toBe(200);
          seen.add(res.body.generatedAt as string);
        }
      }
      const elapsedSeconds = (Date.now() - started) / 1000;
      // Each read stamps generatedAt with its own transaction's time: distinct values count reads.
      expect(seen.size).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
      expect(seen.size).toBeLessThan(15);
    });

    it("shows the key's learned rate to every integration on the key and projects the backlog's drain at it", async () => {
      const learner = await insertIntegration('learner', { requestsPerHour: 480 });
      const sibling = await insertIntegration('sibling', { requestsPerHour: 360 });
      const key = 'acme.lacework.net|SHARED_KEY';
      await db.query(`UPDATE integrations SET key_id = 'SHARED_KEY' WHERE id IN ($1, $2)`, [
        learner,
        sibling,
      ]);
      await db.query(
        `INSERT INTO lacework_budget_members (integration_id, budget_key, requests_per_window)
         VALUES ($1, $3, 480), ($2, $3, 360)`,
        [learner, sibling, key],
      );
      await db.query(
        `INSERT INTO lacework_key_budgets (budget_key, next_at, learned_per_window, adjusted_at)
         VALUES ($1, now(), 120, now())`,
        [key],
      );
      for (let i = 0; i < 10; i += 1) {
        await insertPending(learner, 1);
      }

      const status = await freshStatus();

      expect(entry(status, 'learner').budget).toMatchObject({
        requestsPerHour: 480,
        learnedRequestsPerHour: 120,
        projectedBacklogDrainMinutes: 30,
      });
      expect(entry(status, 'sibling').budget).toMatchObject({
        requestsPerHour: 360,
        learnedRequestsPerHour: 120,
      });
      await db.query(`UPDATE integrations SET deleted_at = now() WHERE id IN ($1, $2)`, [learner, sibling]);
    });
  });

  describe('GET /stats/timeseries', () => {
    const since = '2024-03-10T00:00:00.000Z';
    const until = '2024-03-11T00:00:00.000Z';
    let charts: string;
    let other: string;

    beforeAll(async () => {
      charts = await insertIntegration('charts');
      other = await insertIntegration('charts-other');
      const at = (startedAt: string, alertsNew: number, alertsChanged = 0, integrationId = charts) =>
        insertRun(integrationId, { status: 'succeeded', minutesAgo: 0, startedAt, alertsNew, alertsChanged });
      await at('2024-03-10T00:30:00Z', 3, 1);
      await at('2024-03-10T05:10:00Z', 5);
      await at('2024-03-10T05:50:00Z', 0, 2);
      await at('2024-03-09T23:59:59.999Z', 100);
      await at('2024-03-11T00:00:00Z', 100);
      await at('2024-03-10T07:00:00Z', 10, 0, other);
      for (const deliveredAt of [
        '2024-03-10T01:15:00Z',
        '2024-03-10T01:45:00Z',
        '2024-03-10T23:59:59.999Z',
      ]) {
        await insertDelivery(charts, 'delivered', { deliveredAt });
      }
      await insertDelivery(charts, 'delivered', { deliveredAt: '2024-03-11T00:00:00Z' });
      await insertDelivery(charts, 'pending');
      await db.query(
        `INSERT INTO lacework_calls (integration_id, at, kind, outcome, status, duration_ms)
         VALUES ($1, '2024-03-10T02:00:00Z', 'list', 'ok', 200, 10),
                ($1, '2024-03-10T02:10:00Z', 'scope', 'ok', 200, 10),
                ($1, '2024-03-10T09:00:00Z', 'scope', 'rate_limited', 429, 10),
                ($1, '2024-03-10T09:01:00Z', 'scope', 'rate_limited', 429, 10),
                ($1, '2024-03-10T09:02:00Z', 'scope', 'budget_wait', NULL, 900),
                ($2, '2024-03-10T10:00:00Z', 'token', 'ok', 200, 10),
                ($1, '2024-03-12T10:00:00Z', 'token', 'ok', 200, 10)`,
        [charts, other],
      );
    });

    const series = (query: Record<string, string>) =>
      app.http.get('/api/v1/stats/timeseries').query(query).set(asViewer);

    const nonZero = (buckets: { start: string; value: number }[]) =>
      Object.fromEntries(buckets.filter((b) => b.value !== 0).map((b) => [b.start, b.value]));

    it('counts alerts synced per hour, every bucket present, adding up to the total', async () => {
      const res = await series({ metric: 'alerts_synced', since, until });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        metric: 'alerts_synced',
        bucket: '1h',
        integrationId: null,
        since,
        until,
      });
      expect(res.body.buckets).toHaveLength(24);
      expect(res.body.buckets[0].start).toBe(since);
      expect(res.body.buckets[23].start).toBe('2024-03-10T23:00:00.000Z');
      expect(nonZero(res.body.buckets)).toEqual({
        '2024-03-10T00:00:00.000Z': 4,
        '2024-03-10T05:00:00.000Z': 7,
        '2024-03-10T07:00:00.000Z': 10,
      });
      const [stored] = await db.query<{ n: number }>(
        `SELECT sum(alerts_new + alerts_changed)::int AS n FROM sync_runs WHERE started_at >= $1 AND started_at < $2`,
        [since, until],
      );
      expect(res.body.total).toBe(stored.n);
      expect(res.body.buckets.reduce((s: number, b: { value: number }) => s + b.value, 0)).toBe(
        res.body.total,
      );

      const one = await series({ metric: 'alerts_synced', since, until, integrationId: charts });
      expect(one.body.total).toBe(11);
      expect(one.body.integrationId).toBe(charts);
    });

    it('counts deliveries, Lacework requests and rate limits, hourly or daily', async () => {
      const delivered = await series({ metric: 'alerts_delivered', since, until, integrationId: charts });
      expect(nonZero(delivered.body.buckets)).toEqual({
        '2024-03-10T01:00:00.000Z': 2,
        '2024-03-10T23:00:00.000Z': 1,
      });
      expect(delivered.body.total).toBe(3);
      const daily = await series({
        metric: 'alerts_delivered',
        bucket: '1d',
        since: '2024-03-01T00:00:00Z',
        until: '2024-04-01T00:00:00Z',
      });
      expect(daily.body.buckets).toHaveLength(31);
      expect(nonZero(daily.body.buckets)).toEqual({
        '2024-03-10T00:00:00.000Z': 3,
        '2024-03-11T00:00:00.000Z': 1,
      });
      expect(daily.body.total).toBe(4);
      const calls = await series({ metric: 'api_calls', since, until });
      expect(calls.body.total).toBe(5);
      expect(nonZero(calls.body.buckets)).toEqual({
        '2024-03-10T02:00:00.000Z': 2,
        '2024-03-10T09:00:00.000Z': 2,
        '2024-03-10T10:00:00.000Z': 1,
      });
      const limited = await series({ metric: 'rate_limited', since, until });
      expect(limited.body.total).toBe(2);
      expect(limited.body.buckets.reduce((s: number, b: { value: number }) => s + b.value, 0)).toBe(2);
    });

    it('counts only from since when it falls inside a bucket', async () => {
      const res = await series({
        metric: 'alerts_synced',
        since: '2024-03-10T05:30:00Z',
        until: '2024-03-10T08:00:00Z',
      });
      expect(res.body.buckets.map((b: { start: string }) => b.start)).toEqual([
        '2024-03-10T05:00:00.000Z',
        '2024-03-10T06:00:00.000Z',
        '2024-03-10T07:00:00.000Z',
      ]);
      expect(res.body.buckets.map((b: { value: number }) => b.value)).toEqual([2, 0, 10]);
    });

    it('defaults to the last 24 hours in hourly buckets', async () => {
      const res = await series({ metric: 'api_calls' });
      expect(res.status).toBe(200);
      expect(res.body.buckets.length).toBeGreaterThanOrEqual(24);
      expect(res.body.buckets.length).toBeLessThanOrEqual(25);
      expect(Date.parse(res.body.until) - Date.parse(res.body.since)).toBe(24 * 3_600_000);
    });

    it('refuses bad parameters with 400 naming them, and an unknown integration with 404', async () => {
      const cases: [Record<string, string>, RegExp][] = [
        [{}, /^metric:/],
        [{ metric: 'bogus' }, /^metric:/],
        [{ metric: 'api_calls', bucket: '5m' }, /^bucket:/],
        [{ metric: 'api_calls', since: 'yesterday' }, /^since:/],
        [{ metric: 'api_calls', integrationId: 'nope' }, /^integrationId:/],
        [{ metric: 'api_calls', since: until, until: since }, /^until:/],
        [{ metric: 'api_calls', since: '2024-01-01T00:00:00Z', until: '2024-03-01T00:00:00Z' }, /^since:/],
        [{ metric: 'api_calls', extra: '1' }, /extra/],
      ];
      for (const [query, message] of cases) {
        const res = await series(query);
        expect({ query, status: res.status }).toEqual({ query, status: 400 });
        expect(res.body.message).toMatch(message);
      }
      const unknown = await series({
        metric: 'api_calls',
        integrationId: '00000000-0000-4000-8000-000000000000',
      });
      expect(unknown.status).toBe(404);
    });
  });

  it('lets the viewer read all of it and nobody without a token', async () => {
    for (const path of ['/api/v1/status', '/api/v1/stats/timeseries?metric=api_calls']) {
      expect((await app.http.get(path).set(asViewer)).status).toBe(200);
      expect((await app.http.get(path).set(asAdmin)).status).toBe(200);
      expect((await app.http.get(path)).status).toBe(401);
    }
  });
});
