import type { AppConfig } from '../config/app-config';
import type { IntegrationStatusRow, StatusRepository } from './status.repository';
import { STATUS_FRESH_MS, STATUS_STALE_MS, StatusService } from './status.service';

/** Answers the overview's two reads after `release()`, counting how often it was asked. */
class ControlledFigures {
  reads = 0;
  private pending: (() => void)[] = [];

  integrationStatus(): Promise<IntegrationStatusRow[]> {
    this.reads += 1;
    const read = this.reads;
    return new Promise((resolve) => {
      this.pending.push(() => resolve([row(read)]));
    });
  }

  destinationStatus(): Promise<never[]> {
    return Promise.resolve([]);
  }

  release(): void {
    const waiting = this.pending;
    this.pending = [];
    waiting.forEach((resolve) => resolve());
  }
}

function row(read: number): IntegrationStatusRow {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    name: `read ${read}`,
    enabled: true,
    sync_cursor: null,
    last_auth_error: null,
    extra_scopes: [],
    last_hint_at: null,
    requests_per_hour: 480,
    poll_interval_seconds: 300,
    destination_ids: [],
    db_now: new Date('2024-06-01T12:00:00Z'),
    run_id: null,
    run_trigger: null,
    run_status: null,
    run_started_at: null,
    run_finished_at: null,
    run_alerts_listed: null,
    run_alerts_new: null,
    run_alerts_changed: null,
    run_rate_limited: null,
    run_error_class: null,
    run_error_message: null,
    last_success_at: null,
    recent_runs: [],
    enrichment_pending: 0,
    enrichment_failed: 0,
    oldest_pending_at: null,
    incomplete: 0,
    incomplete_last_24h: 0,
    delivery_pending: 0,
    delivery_dead: 0,
    dead_last_24h: 0,
    alerts_last_24h: {},
    budget_used: 0,
    rate_limited: 0,
    key_learned_per_window: null,
    key_adjusted_at_ms: null,
    key_shared_cap: null,
  };
}

describe('StatusService.overview', () => {
  let figures: ControlledFigures;
  let service: StatusService;

  beforeEach(() => {
    figures = new ControlledFigures();
    const repository: Pick<StatusRepository, 'integrationStatus' | 'destinationStatus'> = figures;
    service = new StatusService(
      repository as StatusRepository,
      { laceworkBudgetWindowMs: 3_600_000, laceworkBudgetBurst: 4 } as AppConfig,
    );
  });

  const name = async (p: Promise<{ integrations: { name: string }[] }>): Promise<string> =>
    (await p).integrations[0].name;

  it('reads once for any number of concurrent callers', async () => {
    const calls = [
      service.overview('cached', 0),
      service.overview('cached', 0),
      service.overview('cached', 0),
    ];
    await Promise.resolve();
    figures.release();
    const names = await Promise.all(calls.map((c) => name(c)));
    expect(names).toEqual(['read 1', 'read 1', 'read 1']);
    expect(figures.reads).toBe(1);
  });

  it('serves a fresh copy as is, a stale one while refreshing in the background, an old one after a read', async () => {
    const t0 = Date.now();
    const first = service.overview('cached', t0);
    figures.release();
    expect(await name(first)).toBe('read 1');

    expect(await name(service.overview('cached', t0 + STATUS_FRESH_MS - 1))).toBe('read 1');
    expect(figures.reads).toBe(1);

    const t1 = t0 + STATUS_FRESH_MS + 1;
    expect(await name(service.overview('cached', t1))).toBe('read 1');
    expect(figures.reads).toBe(2);
    figures.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await name(service.overview('cached', t1))).toBe('read 2');

    const old = service.overview('cached', t1 + STATUS_STALE_MS + 1);
    figures.release();
    expect(await name(old)).toBe('read 3');
  });

  it('reads now for the admin, whatever is cached', async () => {
    const first = service.overview('cached', 0);
    figures.release();
    await first;
    const now = service.overview('now', 1);
    await Promise.resolve();
    figures.release();
    expect(await name(now)).toBe('read 2');
  });

  it('gives recent figures without the stale copy, reading at most once a second for everyone', async () => {
    const first = service.overview('cached', 0);
    figures.release();
    await first;
    expect(await name(service.overview('recent', STATUS_FRESH_MS - 1))).toBe('read 1');
    expect(figures.reads).toBe(1);
    const later = STATUS_FRESH_MS + 1;
    const calls = [service.overview('recent', later), service.overview('recent', later)];
    await Promise.resolve();
    figures.release();
    expect(await Promise.all(calls.map((c) => name(c)))).toEqual(['read 2', 'read 2']);
    expect(figures.reads).toBe(2);
    expect(await name(service.overview('recent', later + 1))).toBe('read 2');
    expect(figures.reads).toBe(2);
  });
});
