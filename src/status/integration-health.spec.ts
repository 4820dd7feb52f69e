import {
  assessHealth,
  destinationState,
  FinishedRunFact,
  HealthFacts,
  projectDrainMinutes,
} from './integration-health';

const ok: FinishedRunFact = { status: 'succeeded', errorClass: null, errorMessage: null };
const failed = (errorClass = 'upstream', errorMessage = 'Lacework answered 503'): FinishedRunFact => ({
  status: 'failed',
  errorClass,
  errorMessage,
});

function facts(change: Partial<HealthFacts> = {}): HealthFacts {
  return {
    enabled: true,
    authError: null,
    recentRuns: [ok, ok, ok],
    runInProgress: false,
    lastSuccessAt: new Date('2024-06-01T12:00:00Z'),
    cursor: new Date('2024-06-01T12:00:00Z'),
    lagSeconds: 120,
    pollIntervalSeconds: 300,
    enrichmentPending: 0,
    oldestPendingSeconds: null,
    drainMinutes: 0,
    incompleteLast24h: 0,
    deadLast24h: 0,
    deliveryPending: 0,
    destinations: [{ name: 'pipeline', state: 'ok', reason: null }],
    ...change,
  };
}

describe('assessHealth', () => {
  it('is ok when nothing needs a look', () => {
    expect(assessHealth(facts())).toEqual({ health: 'ok', reason: null });
  });

  it('is paused when disabled, whatever else is wrong', () => {
    expect(assessHealth(facts({ enabled: false, authError: 'refused' }))).toEqual({
      health: 'paused',
      reason: 'integration disabled',
    });
  });

  it('is failing on an authentication error, even before any success', () => {
    const result = assessHealth(
      facts({ authError: 'Lacework refused the key', lastSuccessAt: null, cursor: null }),
    );
    expect(result.health).toBe('failing');
    expect(result.reason).toBe('authentication failed: Lacework refused the key');
  });

  it('is failing after three failed runs in a row, degraded after one or two', () => {
    expect(assessHealth(facts({ recentRuns: [failed(), failed(), failed()] }))).toEqual({
      health: 'failing',
      reason: 'last 3 sync runs failed (upstream: Lacework answered 503)',
    });
    expect(assessHealth(facts({ recentRuns: [failed(), failed(), ok] })).health).toBe('degraded');
    expect(assessHealth(facts({ recentRuns: [failed(), failed()] })).health).toBe('degraded');
    const rateLimited = assessHealth(facts({ recentRuns: [failed('rate_limit', ''), ok] }));
    expect(rateLimited).toEqual({ health: 'degraded', reason: 'last sync run failed (rate_limit)' });
  });

  it('is never_synced until a run succeeds, saying what the first runs did', () => {
    expect(assessHealth(facts({ lastSuccessAt: null, cursor: null, recentRuns: [] }))).toEqual({
      health: 'never_synced',
      reason: 'no successful sync yet',
    });
    const running = assessHealth(
      facts({ lastSuccessAt: null, cursor: null, recentRuns: [failed()], runInProgress: true }),
    );
    expect(running.reason).toBe(
      'no successful sync yet; a run is in progress; last sync run failed (upstream: Lacework answered 503)',
    );
  });

  it('is degraded when the cursor lags three poll intervals, with a 15 minute floor', () => {
    expect(assessHealth(facts({ lagSeconds: 901 })).reason).toBe('sync lagging: cursor 15 min behind');
    expect(assessHealth(facts({ lagSeconds: 899 })).health).toBe('ok');
    expect(assessHealth(facts({ pollIntervalSeconds: 3600, lagSeconds: 10_000 })).health).toBe('ok');
    expect(assessHealth(facts({ pollIntervalSeconds: 3600, lagSeconds: 10_801 })).health).toBe('degraded');
  });

  it('is degraded when the enrichment backlog waits or would take over an hour to drain', () => {
    const waiting = assessHealth(
      facts({ enrichmentPending: 4, oldestPendingSeconds: 3700, drainMinutes: 1 }),
    );
    expect(waiting).toEqual({
      health: 'degraded',
      reason:
        'enrichment backlog growing (4 alert versions pending, oldest waiting 62 min, ~1 min to drain at the request budget)',
    });
    expect(
      assessHealth(facts({ enrichmentPending: 400, oldestPendingSeconds: 10, drainMinutes: 61 })).health,
    ).toBe('degraded');
    expect(
      assessHealth(facts({ enrichmentPending: 4, oldestPendingSeconds: 3500, drainMinutes: 60 })).health,
    ).toBe('ok');
  });

  it('is degraded by recent incomplete alerts, recent dead deliveries and a destination not ok', () => {
    expect(assessHealth(facts({ incompleteLast24h: 2 })).reason).toBe('2 alerts incomplete in the last 24 h');
    expect(assessHealth(facts({ deadLast24h: 1 })).reason).toBe('1 delivery dead in the last 24 h');
    expect(
      assessHealth(facts({ destinations: [{ name: 'siem', state: 'paused', reason: 'gone: 410' }] })).reason,
    ).toBe('destination siem paused: gone: 410');
    expect(
      assessHealth(facts({ destinations: [{ name: 'siem', state: 'failing', reason: null }] })).reason,
    ).toBe('destination siem failing');
    // Every destination of a fan-out counts, not only the first.
    expect(
      assessHealth(
        facts({
          destinations: [
            { name: 'pipeline', state: 'ok', reason: null },
            { name: 'siem', state: 'paused', reason: 'refused: token disabled' },
          ],
        }),
      ).reason,
    ).toBe('destination siem paused: refused: token disabled');
    expect(assessHealth(facts({ destinations: [], deliveryPending: 3 })).reason).toBe(
      '3 deliveries waiting: no destination configured',
    );
    expect(assessHealth(facts({ destinations: [], deliveryPending: 0 })).health).toBe('ok');
  });

  it('lists every reason of the level it reports', () => {
    const result = assessHealth(facts({ incompleteLast24h: 1, deadLast24h: 2 }));
    expect(result.reason).toBe('1 alert incomplete in the last 24 h; 2 deliveries dead in the last 24 h');
  });
});

describe('projectDrainMinutes', () => {
  it('counts six calls per pending version at the hourly budget, rounded up', () => {
    expect(projectDrainMinutes(0, 480, true)).toBe(0);
    expect(projectDrainMinutes(1, 480, true)).toBe(1);
    expect(projectDrainMinutes(80, 480, true)).toBe(60);
    expect(projectDrainMinutes(81, 480, true)).toBe(61);
    expect(projectDrainMinutes(10, 480, false)).toBeNull();
  });

  it('counts one call more per version for each extra scope the integration opted in to', () => {
    expect(projectDrainMinutes(80, 480, true, 7)).toBe(70);
  });
});

describe('destinationState', () => {
  const base = {
    enabled: true,
    pausedReason: null,
    circuitState: 'closed',
    hasFailedDeliveries: false,
    deliveredRecently: true,
  };

  it('is paused when disabled or paused, failing while retries wait and nothing gets through', () => {
    expect(destinationState(base)).toBe('ok');
    expect(destinationState({ ...base, enabled: false })).toBe('paused');
    expect(destinationState({ ...base, pausedReason: 'circuit open' })).toBe('paused');
    expect(destinationState({ ...base, hasFailedDeliveries: true, deliveredRecently: false })).toBe(
      'failing',
    );
    expect(destinationState({ ...base, hasFailedDeliveries: true })).toBe('ok');
    expect(destinationState({ ...base, deliveredRecently: false })).toBe('ok');
    expect(destinationState({ ...base, circuitState: 'half_open' })).toBe('failing');
    expect(destinationState({ ...base, circuitState: null })).toBe('ok');
  });
});
