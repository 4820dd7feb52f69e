import type { Stream } from 'node:stream';
import type { Response } from 'supertest';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

const SEVERITY_RANK: Record<string, number> = { Critical: 1, High: 2, Medium: 3, Low: 4, Info: 5 };
const SCOPES = ['Details', 'Investigation', 'Events', 'RelatedAlerts', 'Integrations', 'Timeline'];
const BIG_ID = '4325415338702892297';

/** A cursor of the right encoding holding any key, to probe how the API checks what it decodes. */
const forgedCursor = (key: unknown[]): string =>
  Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

interface AlertSeed {
  integrationId: string;
  startTime: string;
  severity?: string;
  status?: string;
  state?: string;
  endTime?: string | null;
  failedScopes?: string[];
  currentVersion?: number;
}

interface Summary {
  id: string;
  startTime: string;
  [field: string]: unknown;
}

interface PageBody {
  items: Summary[];
  nextCursor: string | null;
}

/** Reads the body as raw bytes, so a test can compare it with what is stored without any decoding. */
function rawBody(res: Stream, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('alerts API: list, detail and stored documents', () => {
  let db: TestDatabase;
  let app: TestApp;
  let integrationA: string;
  let integrationB: string;
  let destinationId: string;
  let alertCounter = 1000;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
    integrationA = await insertIntegration('org-a');
    integrationB = await insertIntegration('org-b');
    [{ id: destinationId }] = await db.query<{ id: string }>(
      `INSERT INTO destinations (name, url, signing_secret_sealed)
       VALUES ('pipeline', 'http://127.0.0.1:9/hook', 'sealed') RETURNING id`,
    );
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    await db.query('DELETE FROM alerts');
  });

  async function insertIntegration(name: string): Promise<string> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO integrations (name, organization_url, account, key_id, secret_sealed, secret_hint)
       VALUES ($1, 'https://acme.lacework.net', 'acme', 'ACME_KEY', 'not-a-real-sealed-secret', 'cdef')
       RETURNING id`,
      [name],
    );
    return row.id;
  }

  async function insertAlert(seed: AlertSeed): Promise<string> {
    alertCounter += 1;
    const severity = seed.severity ?? 'High';
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO alerts (integration_id, alert_id, current_version, list_hash, severity, severity_rank, status,
                           alert_type, alert_name, start_time, end_time, state, failed_scopes,
                           first_seen_at, updated_at)
       VALUES ($1, $2, $3, repeat('a', 64), $4, $5, $6, 'NewExternalServerIp', $7, $8, $9, $10, $11,
               '2024-06-01T00:00:00Z', '2024-06-02T00:00:00Z')
       RETURNING id`,
      [
        seed.integrationId,
        String(alertCounter),
        seed.currentVersion ?? 1,
        severity,
        SEVERITY_RANK[severity],
        seed.status ?? 'Open',
        `alert ${alertCounter}`,
        seed.startTime,
        seed.endTime ?? null,
        seed.state ?? 'complete',
        seed.failedScopes ?? [],
      ],
    );
    return row.id;
  }

  async function insertVersion(
    alertRowId: string,
    version: number,
    fields: {
      state: string;
      document?: string | null;
      documentHash?: string | null;
      failedScopes?: string[];
      createdAt: string;
      completedAt?: string | null;
    },
  ): Promise<string> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO alert_versions (alert_row_id, integration_id, alert_id, version, list_record, list_hash,
                                   severity_rank, start_time, state, document, document_hash, failed_scopes,
                                   created_at, completed_at)
       SELECT a.id, a.integration_id, a.alert_id, $2, '{}', a.list_hash, a.severity_rank, a.start_time,
              $3, $4, $5, $6, $7, $8
         FROM alerts a WHERE a.id = $1
       RETURNING id`,
      [
        alertRowId,
        version,
        fields.state,
        fields.document ?? null,
        fields.documentHash ?? null,
        fields.failedScopes ?? [],
        fields.createdAt,
        fields.completedAt ?? null,
      ],
    );
    return row.id;
  }

  async function insertScope(
    versionId: string,
    scope: string,
    outcome: string,
    attempts: number,
    lastError: string | null = null,
  ): Promise<void> {
    await db.query(
      `INSERT INTO alert_scopes (alert_version_id, scope, outcome, data, attempts, last_error)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [versionId, scope, outcome, outcome === 'ok' ? '[]' : null, attempts, lastError],
    );
  }

  async function insertDelivery(
    versionId: string,
    fields: {
      state: string;
      attempts: number;
      createdAt: string;
      deliveredAt?: string | null;
      lastStatus?: number | null;
      lastError?: string | null;
    },
  ): Promise<string> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO deliveries (alert_version_id, alert_row_id, integration_id, destination_id, alert_id, version,
                               severity_rank, webhook_id, state, attempts, last_status, last_error, delivered_at,
                               created_at)
       SELECT v.id, v.alert_row_id, v.integration_id, $2, v.alert_id, v.version, v.severity_rank,
              'msg_' || v.id, $3, $4, $5, $6, $7, $8
         FROM alert_versions v WHERE v.id = $1
       RETURNING id`,
      [
        versionId,
        destinationId,
        fields.state,
        fields.attempts,
        fields.lastStatus ?? null,
        fields.lastError ?? null,
        fields.deliveredAt ?? null,
        fields.createdAt,
      ],
    );
    return row.id;
  }

  const list = (query: string, headers: Record<string, string> = asAdmin) =>
    app.http.get(`/api/v1/alerts${query === '' ? '' : `?${query}`}`).set(headers);

  const ids = (res: Response): string[] => (res.body as PageBody).items.map((i) => i.id);

  /** Follows `nextCursor` to the end, running `between` after each page; returns the pages' ids. */
  async function walk(limit: number, between: (page: Summary[]) => Promise<void> = async () => {}) {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await list(
        `limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        asViewer,
      );
      expect(res.status).toBe(200);
      const body = res.body as PageBody;
      expect(body.items.length).toBeLessThanOrEqual(limit);
      pages.push(body.items.map((i) => i.id));
      cursor = body.nextCursor;
      await between(body.items);
      expect(pages.length).toBeLessThan(100);
    } while (cursor !== null);
    return pages;
  }

  const orderedIds = async (): Promise<string[]> =>
    (await db.query<{ id: string }>('SELECT id FROM alerts ORDER BY start_time DESC, id DESC')).map(
      (r) => r.id,
    );

  describe('filters', () => {
    let a1: string, a2: string, a3: string, a4: string, a5: string, a6: string;

    beforeEach(async () => {
      a1 = await insertAlert({
        integrationId: integrationA,
        severity: 'Critical',
        status: 'Open',
        state: 'incomplete',
        startTime: '2024-05-01T10:00:00Z',
        endTime: '2024-05-01T11:00:00Z',
        failedScopes: ['Events', 'Timeline'],
        currentVersion: 2,
      });
      a2 = await insertAlert({
        integrationId: integrationA,
        severity: 'High',
        status: 'Closed',
        state: 'pending',
        startTime: '2024-05-01T11:00:00Z',
      });
      a3 = await insertAlert({
        integrationId: integrationB,
        severity: 'Medium',
        state: 'complete',
        startTime: '2024-05-01T12:00:00Z',
      });
      a4 = await insertAlert({
        integrationId: integrationB,
        severity: 'Low',
        state: 'filtered',
        startTime: '2024-05-01T13:00:00Z',
      });
      a5 = await insertAlert({
        integrationId: integrationA,
        severity: 'Info',
        state: 'gone',
        startTime: '2024-05-01T14:00:00Z',
      });
      // Same start_time as a3: the higher id comes first.
      a6 = await insertAlert({
        integrationId: integrationB,
        severity: 'High',
        state: 'complete',
        startTime: '2024-05-01T12:00:00Z',
      });
    });

    it('lists everything newest first, ties broken by id, in the documented shape', async () => {
      const res = await list('');
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual([a5, a4, a6, a3, a2, a1]);
      expect(res.body.nextCursor).toBeNull();
      const [row] = await db.query<{ alert_id: string }>('SELECT alert_id FROM alerts WHERE id = $1', [a1]);
      expect(res.body.items[5]).toEqual({
        id: a1,
        integrationId: integrationA,
        alertId: row.alert_id,
        version: 2,
        severity: 'Critical',
        status: 'Open',
        alertType: 'NewExternalServerIp',
        alertName: `alert ${row.alert_id}`,
        startTime: '2024-05-01T10:00:00.000Z',
        endTime: '2024-05-01T11:00:00.000Z',
        state: 'incomplete',
        failedScopes: ['Events', 'Timeline'],
        firstSeenAt: '2024-06-01T00:00:00.000Z',
        updatedAt: '2024-06-02T00:00:00.000Z',
      });
      expect(res.body.items[0].endTime).toBeNull();
    });

    // Ids are known only once beforeEach ran, so each case reads them lazily.
    it.each<[string, () => string, () => string[]]>([
      ['integrationId', () => `integrationId=${integrationA}`, () => [a5, a2, a1]],
      ['one severity', () => 'severity=High', () => [a6, a2]],
      ['repeated severity', () => 'severity=Critical&severity=High', () => [a6, a2, a1]],
      ['status', () => 'status=Closed', () => [a2]],
      ['state', () => 'state=complete', () => [a6, a3]],
      ['state filtered', () => 'state=filtered', () => [a4]],
      ['since (inclusive)', () => 'since=2024-05-01T12:00:00Z', () => [a5, a4, a6, a3]],
      [
        'since with an offset',
        () => `since=${encodeURIComponent('2024-05-01T14:00:00+02:00')}`,
        () => [a5, a4, a6, a3],
      ],
      ['until (exclusive)', () => 'until=2024-05-01T12:00:00Z', () => [a2, a1]],
      ['since and until', () => 'since=2024-05-01T11:00:00Z&until=2024-05-01T13:00:00Z', () => [a6, a3, a2]],
      [
        'several filters at once',
        () =>
          `integrationId=${integrationB}&severity=High&severity=Medium&state=complete&since=2024-05-01T12:00:00Z`,
        () => [a6, a3],
      ],
      ['a status nothing has', () => 'status=Dismissed', () => []],
    ])('filters by %s', async (_name, query, expected) => {
      const res = await list(query());
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual(expected());
    });
  });

  describe('refuses bad filters with 400 naming the parameter', () => {
    it.each<[string, string | RegExp]>([
      ['integrationId=not-a-uuid', 'integrationId: must be a UUID'],
      ['severity=Huge', 'severity: must be one of Critical, High, Medium, Low, Info'],
      ['severity=High&severity=high', 'severity: must be one of Critical, High, Medium, Low, Info'],
      ['severity=', 'severity: must be one of Critical, High, Medium, Low, Info'],
      ['state=open', 'state: must be one of pending, complete, incomplete, filtered, gone, failed'],
      ['status=Open&status=Closed', /^status: /],
      ['since=yesterday', 'since: must be an RFC 3339 date-time such as 2024-05-01T00:00:00Z'],
      ['since=2024-05-01', /^since: /],
      ['since=2024-05-01T25:00:00Z', /^since: /],
      ['since=2024-05-01T10:00:00', /^since: /],
      ['until=2024-02-30T00:00:00Z', 'until: must be an RFC 3339 date-time such as 2024-05-01T00:00:00Z'],
      ['since=2024-05-02T00:00:00Z&until=2024-05-01T00:00:00Z', 'until: must not be before since'],
      ['limit=0', 'limit: must be at least 1'],
      ['limit=501', 'limit: must be at most 500'],
      ['limit=ten', /^limit: /],
      ['cursor=garbage', 'cursor: not a cursor this list returned'],
      [
        `cursor=${forgedCursor(['2024-05-01T00:00:00.000000Z', 'abc'])}`,
        'cursor: not a cursor this list returned',
      ],
      [`cursor=${forgedCursor(['May 1, 2024', '12'])}`, 'cursor: not a cursor this list returned'],
      [`cursor=${forgedCursor(['2024-05-01T00:00:00Z', '99999999999999999999'])}`, /^cursor: /],
      ['colour=red', /colour/],
    ])('%s', async (query, message) => {
      const res = await list(query);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      if (typeof message === 'string') {
        expect(res.body.message).toBe(message);
      } else {
        expect(res.body.message).toMatch(message);
      }
    });
  });

  describe('paging', () => {
    /** 25 alerts, three to an hour, so ties on start_time cross page boundaries. */
    async function insertTwentyFive(): Promise<void> {
      for (let i = 0; i < 25; i++) {
        const hour = Math.floor(i / 3);
        await insertAlert({
          integrationId: i % 2 === 0 ? integrationA : integrationB,
          startTime: new Date(Date.UTC(2024, 4, 1, hour)).toISOString(),
        });
      }
    }

    it('walks 25 alerts in pages of 7, each exactly once and in order', async () => {
      await insertTwentyFive();
      const pages = await walk(7);
      expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 4]);
      expect(pages.flat()).toEqual(await orderedIds());
    });

    it('ends without an empty page when the last page is full, and defaults to 50 per page', async () => {
      await insertTwentyFive();
      expect((await walk(5)).map((p) => p.length)).toEqual([5, 5, 5, 5, 5]);
      const all = await list('');
      expect(ids(all)).toEqual(await orderedIds());
      expect(all.body.nextCursor).toBeNull();
    });

    it('keeps microsecond start times apart in the cursor', async () => {
      const late = await insertAlert({
        integrationId: integrationA,
        startTime: '2024-05-01T00:00:00.000003Z',
      });
      const early = await insertAlert({
        integrationId: integrationA,
        startTime: '2024-05-01T00:00:00.000001Z',
      });
      const middle = await insertAlert({
        integrationId: integrationA,
        startTime: '2024-05-01T00:00:00.000002Z',
      });
      expect((await walk(1)).flat()).toEqual([late, middle, early]);
    });

    it('yields every alert that existed at the start exactly once while new alerts arrive', async () => {
      await insertTwentyFive();
      const original = await orderedIds();
      const behindCursor: string[] = [];
      let newer = 0;
      const pages = await walk(7, async (page) => {
        if (page.length === 0) {
          return;
        }
        newer += 1;
        await insertAlert({
          integrationId: integrationA,
          startTime: new Date(Date.UTC(2024, 4, 2, newer)).toISOString(),
        });
        // Equal start_time, higher id: sorts before rows already returned, so it must not show up later.
        behindCursor.push(
          await insertAlert({ integrationId: integrationB, startTime: page[page.length - 1].startTime }),
          await insertAlert({ integrationId: integrationA, startTime: page[0].startTime }),
        );
        // Equal to the next row still to come: a new row ahead of the cursor, which the walk may include.
        const next = original[original.indexOf(page[page.length - 1].id) + 1];
        if (next !== undefined) {
          const [{ start_time }] = await db.query<{ start_time: Date }>(
            'SELECT start_time FROM alerts WHERE id = $1',
            [next],
          );
          await insertAlert({ integrationId: integrationB, startTime: start_time.toISOString() });
        }
      });
      const seen = pages.flat();
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of original) {
        expect(seen.filter((s) => s === id)).toHaveLength(1);
      }
      for (const id of behindCursor) {
        expect(seen).not.toContain(id);
      }
      // Whatever was added, the walk as a whole stays in (start_time DESC, id DESC) order.
      const rank = new Map((await orderedIds()).map((id, index) => [id, index]));
      const positions = seen.map((id) => rank.get(id) ?? -1);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      expect(positions).not.toContain(-1);
    });
  });

  describe('detail', () => {
    it('shows every version newest first with all six scopes and its deliveries', async () => {
      const id = await insertAlert({
        integrationId: integrationA,
        severity: 'Critical',
        state: 'pending',
        startTime: '2024-05-01T10:00:00Z',
        currentVersion: 2,
      });
      const v1 = await insertVersion(id, 1, {
        state: 'incomplete',
        document: '{"alertId":1}',
        documentHash: 'b'.repeat(64),
        failedScopes: ['Events'],
        createdAt: '2024-05-01T10:05:00Z',
        completedAt: '2024-05-01T10:06:00Z',
      });
      const v2 = await insertVersion(id, 2, { state: 'pending', createdAt: '2024-05-01T12:00:00Z' });
      for (const scope of SCOPES) {
        if (scope === 'Events') {
          await insertScope(v1, scope, 'failed', 5, 'HTTP 500');
        } else {
          await insertScope(v1, scope, scope === 'Timeline' ? 'empty' : 'ok', 1);
        }
      }
      await insertScope(v2, 'Details', 'ok', 1);
      await insertScope(v2, 'Investigation', 'failed', 2, 'timeout after 60000 ms');
      const failed = await insertDelivery(v1, {
        state: 'dead',
        attempts: 8,
        createdAt: '2024-05-01T10:06:00Z',
        lastStatus: 503,
        lastError: 'HTTP 503',
      });
      const delivered = await insertDelivery(v1, {
        state: 'delivered',
        attempts: 1,
        createdAt: '2024-05-01T10:07:00Z',
        deliveredAt: '2024-05-01T10:07:01.250Z',
        lastStatus: 204,
      });

      const res = await app.http.get(`/api/v1/alerts/${id}`).set(asViewer);
      expect(res.status).toBe(200);
      const summary = (await list('')).body.items[0];
      expect(res.body).toEqual({
        ...summary,
        consoleUrl: `https://acme.lacework.net/ui/investigation/monitor/AlertInbox/${summary.alertId}/details?accountName=acme`,
        actions: [],
        versions: [
          {
            version: 2,
            state: 'pending',
            createdAt: '2024-05-01T12:00:00.000Z',
            completedAt: null,
            documentHash: null,
            failedScopes: [],
            failedAttempts: 0,
            lastError: null,
            scopes: {
              Details: { outcome: 'ok', attempts: 1, error: null },
              Investigation: { outcome: 'failed', attempts: 2, error: 'timeout after 60000 ms' },
              Events: { outcome: 'pending', attempts: 0, error: null },
              RelatedAlerts: { outcome: 'pending', attempts: 0, error: null },
              Integrations: { outcome: 'pending', attempts: 0, error: null },
              Timeline: { outcome: 'pending', attempts: 0, error: null },
            },
            deliveries: [],
          },
          {
            version: 1,
            state: 'incomplete',
            createdAt: '2024-05-01T10:05:00.000Z',
            completedAt: '2024-05-01T10:06:00.000Z',
            documentHash: 'b'.repeat(64),
            failedScopes: ['Events'],
            failedAttempts: 0,
            lastError: null,
            scopes: {
              Details: { outcome: 'ok', attempts: 1, error: null },
              Investigation: { outcome: 'ok', attempts: 1, error: null },
              Events: { outcome: 'failed', attempts: 5, error: 'HTTP 500' },
              RelatedAlerts: { outcome: 'ok', attempts: 1, error: null },
              Integrations: { outcome: 'ok', attempts: 1, error: null },
              Timeline: { outcome: 'empty', attempts: 1, error: null },
            },
            deliveries: [
              {
                id: failed,
                state: 'dead',
                attempts: 8,
                destinationId,
                deliveredAt: null,
                lastStatus: 503,
                lastError: 'HTTP 503',
              },
              {
                id: delivered,
                state: 'delivered',
                attempts: 1,
                destinationId,
                deliveredAt: '2024-05-01T10:07:01.250Z',
                lastStatus: 204,
                lastError: null,
              },
            ],
          },
        ],
      });
      expect(Object.keys(res.body.versions[0].scopes)).toEqual(SCOPES);
    });

    it('shows an alert without versions with an empty list', async () => {
      const id = await insertAlert({ integrationId: integrationB, startTime: '2024-05-01T10:00:00Z' });
      const res = await app.http.get(`/api/v1/alerts/${id}`).set(asAdmin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, integrationId: integrationB, versions: [] });
    });
  });

  describe('document', () => {
    // Spacing, key order, a trailing zero, an escape and non-ASCII text: a parse and re-serialise changes each.
    const FIRST = `{"alertId":1,"scopeDetails":{"mid":${BIG_ID}},"v":1}`;
    const SECOND =
      `{"alertId": 1,  "scopeDetails": {"mid": ${BIG_ID}, "score": 2.50, "name": "caf\u00e9 \u2615 \\u00e9"},\n` +
      ` "scopeEvents": null, "scopeTimeline": [], "v": 2}\n`;

    async function alertWithDocuments(): Promise<string> {
      const id = await insertAlert({
        integrationId: integrationA,
        state: 'pending',
        startTime: '2024-05-01T10:00:00Z',
        currentVersion: 3,
      });
      await insertVersion(id, 1, { state: 'complete', document: FIRST, createdAt: '2024-05-01T10:00:00Z' });
      await insertVersion(id, 2, { state: 'complete', document: SECOND, createdAt: '2024-05-01T11:00:00Z' });
      await insertVersion(id, 3, { state: 'pending', createdAt: '2024-05-01T12:00:00Z' });
      return id;
    }

    const fetchDocument = (path: string, headers: Record<string, string> = asAdmin) =>
      app.http.get(`/api/v1/alerts/${path}`).set(headers).buffer(true).parse(rawBody);

    it('answers the newest assembled document byte for byte, big integers untouched', async () => {
      const id = await alertWithDocuments();
      const res = await fetchDocument(`${id}/document`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json\b/);
      const [stored] = await db.query<{ bytes: Buffer }>(
        `SELECT convert_to(document, 'UTF8') AS bytes FROM alert_versions
          WHERE alert_row_id = $1 AND version = 2`,
        [id],
      );
      const body = res.body as Buffer;
      expect(Buffer.isBuffer(body)).toBe(true);
      expect(body.equals(stored.bytes)).toBe(true);
      expect(body.toString('utf8')).toBe(SECOND);
      expect(body.toString('utf8')).toContain(`"mid": ${BIG_ID},`);
    });

    it('answers an older version when asked', async () => {
      const id = await alertWithDocuments();
      const res = await fetchDocument(`${id}/document?version=1`);
      expect(res.status).toBe(200);
      expect((res.body as Buffer).toString('utf8')).toBe(FIRST);
    });

    it('explains why there is no document', async () => {
      const id = await alertWithDocuments();
      const pendingVersion = await app.http.get(`/api/v1/alerts/${id}/document?version=3`).set(asAdmin);
      expect(pendingVersion.status).toBe(404);
      expect(pendingVersion.body.message).toBe(
        `alert ${id} version 3 has no assembled document (state pending)`,
      );
      const missingVersion = await app.http.get(`/api/v1/alerts/${id}/document?version=9`).set(asAdmin);
      expect(missingVersion.status).toBe(404);
      expect(missingVersion.body.message).toBe(`alert ${id} has no version 9 (current version 3)`);

      const pending = await insertAlert({
        integrationId: integrationA,
        state: 'pending',
        startTime: '2024-05-01T10:00:00Z',
      });
      await insertVersion(pending, 1, { state: 'pending', createdAt: '2024-05-01T10:00:00Z' });
      const notYet = await app.http.get(`/api/v1/alerts/${pending}/document`).set(asAdmin);
      expect(notYet.status).toBe(404);
      expect(notYet.body.message).toBe(`alert ${pending} has no assembled document yet (state pending)`);

      const filtered = await insertAlert({
        integrationId: integrationB,
        state: 'filtered',
        startTime: '2024-05-01T10:00:00Z',
      });
      await insertVersion(filtered, 1, { state: 'filtered', createdAt: '2024-05-01T10:00:00Z' });
      const never = await app.http.get(`/api/v1/alerts/${filtered}/document`).set(asAdmin);
      expect(never.status).toBe(404);
      expect(never.body.message).toBe(`alert ${filtered} has no assembled document yet (state filtered)`);
    });

    it.each(['0', '-1', 'abc', '1.5', '99999999999'])('refuses version=%s with 400', async (version) => {
      const id = await alertWithDocuments();
      const res = await app.http.get(`/api/v1/alerts/${id}/document?version=${version}`).set(asAdmin);
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('version: must be a positive integer');
    });
  });

  describe('ids and access', () => {
    it.each(['abc', '0', '-1', '1.5', '12abc', '9223372036854775808', '99999999999999999999'])(
      'refuses the id %s with 400 on both routes',
      async (id) => {
        for (const path of [`/api/v1/alerts/${id}`, `/api/v1/alerts/${id}/document`]) {
          const res = await app.http.get(path).set(asAdmin);
          expect(res.status).toBe(400);
          expect(res.body.message).toBe('id: must be a positive integer');
        }
      },
    );

    it.each(['999999999', '9223372036854775807'])('answers 404 for the unknown id %s', async (id) => {
      const detail = await app.http.get(`/api/v1/alerts/${id}`).set(asAdmin);
      expect(detail.status).toBe(404);
      expect(detail.body.message).toBe(`alert ${id} not found`);
      const document = await app.http.get(`/api/v1/alerts/${id}/document`).set(asAdmin);
      expect(document.status).toBe(404);
      expect(document.body.message).toBe(`alert ${id} not found`);
    });

    it('lets the viewer read every route and turns away requests without a token', async () => {
      const id = await insertAlert({ integrationId: integrationA, startTime: '2024-05-01T10:00:00Z' });
      await insertVersion(id, 1, {
        state: 'complete',
        document: '{"a":1}',
        createdAt: '2024-05-01T10:00:00Z',
      });
      for (const path of ['/api/v1/alerts', `/api/v1/alerts/${id}`, `/api/v1/alerts/${id}/document`]) {
        expect((await app.http.get(path).set(asViewer)).status).toBe(200);
        expect((await app.http.get(path)).status).toBe(401);
      }
    });
  });
});
