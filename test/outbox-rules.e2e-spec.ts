import { closedCircuit } from '../src/delivery/circuit-breaker';
import { DeliveryRepository } from '../src/delivery/delivery.repository';
import { DestinationRepository } from '../src/delivery/destination.repository';
import { DeliveryWorker } from '../src/delivery/delivery.worker';
import { FakeDownstream } from './fakes/fake-downstream';
import { asAdmin, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { sleep, waitFor } from './setup/wait';

const D1 = '00000000-0000-4000-8000-0000000000d1';
const D2 = '00000000-0000-4000-8000-0000000000d2';
const INTEGRATION = '00000000-0000-4000-8000-0000000000a1';
const SIGNING_SECRET = 'whsec_' + Buffer.alloc(32, 9).toString('base64');

interface Row {
  /** Names the delivery in assertions. */
  name: string;
  alert: number;
  version?: number;
  rank: number;
  /** Seconds from now the delivery is due (negative: overdue). */
  dueIn: number;
  destination: string | null;
  state?: string;
  leasedFor?: number;
}

/**
 * The outbox's rules against real PostgreSQL: which due deliveries a claim takes, in which order and within which
 * limits; how many requests one pump starts; held pauses that only an operator lifts; what a replay takes.
 */
describe('outbox rules', () => {
  let db: TestDatabase;
  let app: TestApp;
  let deliveries: DeliveryRepository;
  let owners = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
    deliveries = app.app.get(DeliveryRepository, { strict: false });
    await db.query(
      `INSERT INTO destinations (id, name, url) VALUES ($1, 'first', 'https://a.example.com'),
                                                       ($2, 'second', 'https://b.example.com')`,
      [D1, D2],
    );
    await db.query(
      `INSERT INTO integrations (id, name, organization_url, account, key_id, secret_sealed, secret_hint,
                                 destination_id, destination_ids)
       VALUES ($1, 'org', 'https://org.lacework.net', 'org', 'KEY', 'sealed', 'abcd', $2, ARRAY[$2, $3]::uuid[])`,
      [INTEGRATION, D1, D2],
    );
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    await db.query(`DELETE FROM alerts`);
    await db.query(`UPDATE destinations SET paused_reason = NULL, enabled = true`);
  });

  /** Stores the rows (alerts and versions as needed) and answers each delivery's id by name. */
  async function given(rows: Row[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const row of rows) {
      const version = row.version ?? 1;
      const [alert] = await db.query<{ id: string }>(
        `INSERT INTO alerts (integration_id, alert_id, current_version, list_hash, severity, severity_rank, status,
                             alert_type, alert_name, start_time, state)
         VALUES ($1, $2, $3, repeat('0', 64), 'High', $4, 'Open', 'type', 'name', now(), 'complete')
         ON CONFLICT (integration_id, alert_id) DO UPDATE SET current_version = EXCLUDED.current_version
         RETURNING id`,
        [INTEGRATION, String(row.alert), version, row.rank],
      );
      const [stored] = await db.query<{ id: string }>(
        `INSERT INTO alert_versions (alert_row_id, integration_id, alert_id, version, list_record, list_hash,
                                     severity_rank, start_time, state, document)
         VALUES ($1, $2, $3, $4, '{}', repeat('0', 64), $5, now(), 'complete', '{}')
         ON CONFLICT (alert_row_id, version) DO UPDATE SET state = 'complete'
         RETURNING id`,
        [alert.id, INTEGRATION, String(row.alert), version, row.rank],
      );
      const [delivery] = await db.query<{ id: string }>(
        `INSERT INTO deliveries (alert_version_id, alert_row_id, integration_id, destination_id, alert_id, version,
                                 severity_rank, webhook_id, state, next_attempt_at, lease_owner, lease_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + $10 * interval '1 second',
                 CASE WHEN $11::int IS NULL THEN NULL ELSE 'elsewhere' END,
                 CASE WHEN $11::int IS NULL THEN NULL ELSE now() + $11 * interval '1 second' END)
         RETURNING id`,
        [
          stored.id,
          alert.id,
          INTEGRATION,
          row.destination,
          String(row.alert),
          version,
          row.rank,
          `msg_${row.name}`,
          row.state ?? 'pending',
          row.dueIn,
          row.leasedFor ?? null,
        ],
      );
      ids.set(row.name, delivery.id);
    }
    return ids;
  }

  async function claim(slots: { destinationId: string; free: number }[], limit: number, probe = false) {
    owners += 1;
    return deliveries.claimDue(slots, limit, `claim-test:${owners}`, 60, probe);
  }

  function namesOf(ids: Map<string, string>, claimed: { id: string }[]): string[] {
    const byId = new Map([...ids].map(([name, id]) => [id, name]));
    return claimed.map((c) => byId.get(c.id) ?? c.id);
  }

  it('takes the most severe due deliveries first, the longest overdue first within a severity', async () => {
    const ids = await given([
      { name: 'low-old', alert: 1, rank: 4, dueIn: -600, destination: D1 },
      { name: 'critical-new', alert: 2, rank: 1, dueIn: -1, destination: D1 },
      { name: 'critical-old', alert: 3, rank: 1, dueIn: -300, destination: D1 },
      { name: 'high', alert: 4, rank: 2, dueIn: -60, destination: D1 },
      { name: 'unknown-severity', alert: 5, rank: 6, dueIn: -900, destination: D1 },
      { name: 'critical-later', alert: 6, rank: 1, dueIn: 120, destination: D1 },
      { name: 'critical-leased', alert: 7, rank: 1, dueIn: -900, destination: D1, leasedFor: 30 },
      { name: 'critical-lease-ended', alert: 8, rank: 1, dueIn: -5, destination: D1, leasedFor: -1 },
      { name: 'critical-delivered', alert: 9, rank: 1, dueIn: -900, destination: D1, state: 'delivered' },
      { name: 'critical-dead', alert: 10, rank: 1, dueIn: -900, destination: D1, state: 'dead' },
      { name: 'critical-failed', alert: 11, rank: 1, dueIn: -2, destination: D1, state: 'failed' },
      { name: 'critical-elsewhere', alert: 12, rank: 1, dueIn: -900, destination: D2 },
    ]);
    const first = await claim([{ destinationId: D1, free: 2 }], 10);
    expect(namesOf(ids, first).sort()).toEqual(['critical-lease-ended', 'critical-old']);
    expect(first.every((c) => c.destination_id === D1)).toBe(true);
    const second = await claim([{ destinationId: D1, free: 2 }], 10);
    expect(namesOf(ids, second).sort()).toEqual(['critical-failed', 'critical-new']);
    const rest = await claim([{ destinationId: D1, free: 10 }], 10);
    expect(namesOf(ids, rest).sort()).toEqual(['high', 'low-old', 'unknown-severity'].sort());
    expect(await claim([{ destinationId: D1, free: 10 }], 10)).toEqual([]);
  });

  it('holds a later version back while an earlier one of the same alert is open or out at that destination', async () => {
    const ids = await given([
      { name: 'a-v1-later', alert: 20, version: 1, rank: 3, dueIn: 60, destination: D1 },
      { name: 'a-v2', alert: 20, version: 2, rank: 1, dueIn: -60, destination: D1 },
      {
        name: 'b-v1-out',
        alert: 21,
        version: 1,
        rank: 3,
        dueIn: -60,
        destination: D1,
        state: 'superseded',
        leasedFor: 30,
      },
      { name: 'b-v2', alert: 21, version: 2, rank: 1, dueIn: -60, destination: D1 },
      { name: 'c-v1-done', alert: 22, version: 1, rank: 3, dueIn: -60, destination: D1, state: 'delivered' },
      { name: 'c-v2', alert: 22, version: 2, rank: 1, dueIn: -60, destination: D1 },
      { name: 'd-v1-other-destination', alert: 23, version: 1, rank: 3, dueIn: 60, destination: D2 },
      { name: 'd-v2', alert: 23, version: 2, rank: 1, dueIn: -60, destination: D1 },
    ]);
    const claimed = await claim([{ destinationId: D1, free: 10 }], 10);
    expect(namesOf(ids, claimed).sort()).toEqual(['c-v2', 'd-v2']);
  });

  it('gives a delivery without a destination to its integration’s current one, in severity order with the rest', async () => {
    const ids = await given([
      { name: 'routed-high', alert: 30, rank: 2, dueIn: -60, destination: D1 },
      { name: 'waiting-critical', alert: 31, rank: 1, dueIn: -10, destination: null },
      { name: 'waiting-low', alert: 32, rank: 4, dueIn: -600, destination: null },
      { name: 'routed-medium', alert: 33, rank: 3, dueIn: -60, destination: D1 },
    ]);
    // The second destination of the integration never takes what waits: only its current (first) one does.
    expect(await claim([{ destinationId: D2, free: 10 }], 10)).toEqual([]);
    const claimed = await claim([{ destinationId: D1, free: 2 }], 10);
    expect(namesOf(ids, claimed).sort()).toEqual(['routed-high', 'waiting-critical'].sort());
    const [row] = await db.query<{ destination_id: string }>(
      `SELECT destination_id FROM deliveries WHERE id = $1`,
      [ids.get('waiting-critical')],
    );
    expect(row.destination_id).toBe(D1);
    const rest = await claim([{ destinationId: D1, free: 10 }], 10);
    expect(namesOf(ids, rest).sort()).toEqual(['routed-medium', 'waiting-low'].sort());
  });

  it('keeps to each destination’s free slots and to the limit, most severe first across destinations', async () => {
    await given([
      ...[1, 2, 3].map((i) => ({
        name: `one-critical-${i}`,
        alert: 40 + i,
        rank: 1,
        dueIn: -i,
        destination: D1,
      })),
      ...[1, 2, 3].map((i) => ({
        name: `two-high-${i}`,
        alert: 50 + i,
        rank: 2,
        dueIn: -i,
        destination: D2,
      })),
      ...[1, 2, 3].map((i) => ({
        name: `two-low-${i}`,
        alert: 60 + i,
        rank: 4,
        dueIn: -100 - i,
        destination: D2,
      })),
    ]);
    const claimed = await claim(
      [
        { destinationId: D1, free: 2 },
        { destinationId: D2, free: 3 },
      ],
      4,
    );
    const byDestination = (d: string) => claimed.filter((c) => c.destination_id === d);
    expect(claimed).toHaveLength(4);
    expect(byDestination(D1)).toHaveLength(2);
    expect(byDestination(D2).map((c) => c.severity_rank)).toEqual([2, 2]);
  });

  it('takes nothing from a paused or disabled destination, except one probe of a paused one', async () => {
    await given([
      { name: 'a', alert: 70, rank: 1, dueIn: -10, destination: D1 },
      { name: 'b', alert: 71, rank: 2, dueIn: -10, destination: D1 },
    ]);
    await db.query(`UPDATE destinations SET paused_reason = 'failing: test' WHERE id = $1`, [D1]);
    expect(await claim([{ destinationId: D1, free: 5 }], 5)).toEqual([]);
    const probe = await claim([{ destinationId: D1, free: 1 }], 1, true);
    expect(probe.map((c) => c.severity_rank)).toEqual([1]);
    await db.query(`UPDATE destinations SET paused_reason = NULL, enabled = false WHERE id = $1`, [D1]);
    expect(await claim([{ destinationId: D1, free: 5 }], 5, true)).toEqual([]);
  });
  it('starts one request per free slot of a destination in a single pump', async () => {
    // DELIVERY_CONCURRENCY_PER_DESTINATION defaults to half of DELIVERY_CONCURRENCY (8): four requests at once.
    const receiver = await FakeDownstream.start({ secrets: [SIGNING_SECRET], latencyMs: 3_000 });
    try {
      const created = await app.http
        .post('/api/v1/destinations')
        .set(asAdmin)
        .send({ name: 'slots', url: `${receiver.url}/in`, signingSecret: SIGNING_SECRET });
      expect(created.status).toBe(201);
      const destination = created.body.id as string;
      await given(
        Array.from({ length: 6 }, (_, i) => ({
          name: `slot-${i}`,
          alert: 80 + i,
          rank: 2,
          dueIn: -10 - i,
          destination,
        })),
      );
      await app.app.get(DeliveryWorker, { strict: false }).pump();
      await receiver.waitFor(() => receiver.received.length >= 4, 5_000);
      // Every answer is 3 s away: nothing ends and no tick runs, so what arrived came from that one pump.
      await sleep(500);
      expect(receiver.received.length).toBe(4);
      expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
      await waitFor(
        async () =>
          (
            await db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM deliveries WHERE destination_id = $1 AND lease_owner IS NOT NULL`,
              [destination],
            )
          )[0].n === 4,
        5_000,
        'exactly the started deliveries to hold a lease',
      );
    } finally {
      await app.app.get(DeliveryWorker, { strict: false }).drain();
      await receiver.close();
    }
  });
  it('keeps a held pause when a replica trips its breaker or closes a probe meanwhile', async () => {
    const destinations = app.app.get(DestinationRepository, { strict: false });
    const reasonOf = async (): Promise<string | null> =>
      (
        await db.query<{ paused_reason: string | null }>(
          `SELECT paused_reason FROM destinations WHERE id = $1`,
          [D1],
        )
      )[0].paused_reason;
    await destinations.pause(D1, 'gone: the receiver answered 410', closedCircuit());
    await destinations.pause(
      D1,
      'failing: most requests failed recently; a probe will retry it',
      closedCircuit(),
    );
    expect(await reasonOf()).toBe('gone: the receiver answered 410');
    await destinations.closeCircuit(D1, closedCircuit());
    expect(await reasonOf()).toBe('gone: the receiver answered 410');
    // A held reason still replaces a failing one, and another held one.
    await destinations.pause(
      D1,
      'refused: token disabled; fix the settings or resume it by hand',
      closedCircuit(),
    );
    expect(await reasonOf()).toMatch(/^refused: token disabled/);
    await db.query(`UPDATE destinations SET paused_reason = 'failing: test' WHERE id = $1`, [D1]);
    await destinations.pause(D1, 'gone: the receiver answered 410', closedCircuit());
    expect(await reasonOf()).toBe('gone: the receiver answered 410');
  });

  it('replays a dead version at one destination while a newer one waits for another', async () => {
    const ids = await given([
      { name: 'x-v1-dead-here', alert: 90, version: 1, rank: 2, dueIn: -60, destination: D1, state: 'dead' },
      { name: 'x-v2-open-elsewhere', alert: 90, version: 2, rank: 2, dueIn: 600, destination: D2 },
      { name: 'y-v1-dead-here', alert: 91, version: 1, rank: 2, dueIn: -60, destination: D1, state: 'dead' },
      { name: 'y-v2-open-here', alert: 91, version: 2, rank: 2, dueIn: 600, destination: D1 },
    ]);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const res = await app.http
      .post('/api/v1/deliveries/replay')
      .set(asAdmin)
      .send({ destinationId: D1, state: 'dead', since });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ queued: 1, matched: 1 });
    const states = await db.query<{ id: string; state: string }>(
      `SELECT id, state FROM deliveries WHERE id = ANY($1::uuid[])`,
      [[ids.get('x-v1-dead-here'), ids.get('y-v1-dead-here')]],
    );
    const stateOf = (name: string) => states.find((r) => r.id === ids.get(name))?.state;
    expect(stateOf('x-v1-dead-here')).toBe('pending');
    // y's newer version is on its way to this same destination: the old one stays dead.
    expect(stateOf('y-v1-dead-here')).toBe('dead');
  });
});
