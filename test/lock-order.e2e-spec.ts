import { createHash } from 'node:crypto';
import { pgErrorCode } from '../src/common/pg-error-codes';
import { AlertIntakeRepository, IntakeAlert } from '../src/enrichment/alert-intake.repository';
import { AlertVersionRepository } from '../src/enrichment/alert-version.repository';
import { FakeLacework } from './fakes/fake-lacework';
import { createIntegration, KEY } from './setup/sync-helpers';
import { startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

const ROUNDS = 200;
const ALERTS = 4;

/** A listed alert whose list record differs in every round, so each round stores a new version. */
function listed(alertId: string, round: number): IntakeAlert {
  const fields = {
    severity: 'High',
    status: 'Open',
    alertType: 'NewViolation',
    alertName: `round ${round}`,
    startTime: '2026-05-01T10:00:00.000Z',
    endTime: '2026-05-01T11:00:00.000Z',
  };
  const recordJson = JSON.stringify({ alertId: Number(alertId), ...fields });
  return {
    alert: { alertId, ...fields, recordJson },
    listHash: createHash('sha256').update(recordJson).digest('hex'),
    severityRank: 1,
    kept: true,
    beforeHorizon: false,
  };
}

describe('lock order: intake and completion of the same alerts', () => {
  let db: TestDatabase;
  let app: TestApp;
  let fake: FakeLacework;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
    fake = await FakeLacework.start();
    fake.addKey(KEY);
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await db?.drop();
  });

  it(`never deadlocks over ${ROUNDS} rounds of intake racing completion`, async () => {
    const intake = app.app.get(AlertIntakeRepository, { strict: false });
    const versions = app.app.get(AlertVersionRepository, { strict: false });
    const integrationId = await createIntegration(app, fake);
    const [run] = await db.query<{ id: string }>(
      `INSERT INTO sync_runs (integration_id, trigger, status, window_start, window_end)
       VALUES ($1, 'manual', 'succeeded', now(), now()) RETURNING id`,
      [integrationId],
    );
    const ids = Array.from({ length: ALERTS }, (_, i) => String(9_100_000 + i));
    await intake.storePage(
      integrationId,
      run.id,
      false,
      ids.map((id) => listed(id, 0)),
    );

    const failures: string[] = [];
    let completed = 0;
    for (let round = 1; round <= ROUNDS; round += 1) {
      const claimed = await versions.claim(integrationId, ALERTS, `lock-test:${round}`, 60);
      // Intake of a page that changes every alert, in the opposite order, while each claimed version completes.
      const page = [...ids].reverse().map((id) => listed(id, round));
      const results = await Promise.allSettled([
        intake.storePage(integrationId, run.id, false, page),
        ...claimed.map((c) =>
          versions.complete(c, {
            document: '{}',
            documentHash: '0'.repeat(64),
            failedScopes: [],
            destinationIds: [],
            scopes: [],
          }),
        ),
      ]);
      for (const result of results) {
        if (result.status === 'rejected') {
          failures.push(`${pgErrorCode(result.reason) ?? '?'}: ${(result.reason as Error).message}`);
        } else if (result.value === true) {
          completed += 1;
        }
      }
    }
    expect(failures).toEqual([]);
    // Both sides really raced: some completions won, others lost their version to the newer one.
    expect(completed).toBeGreaterThan(0);
    expect(completed).toBeLessThan(ROUNDS * ALERTS);
    const [open] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alert_versions WHERE integration_id = $1 AND state = 'pending'`,
      [integrationId],
    );
    expect(open.n).toBe(ALERTS);
  }, 120_000);
});
