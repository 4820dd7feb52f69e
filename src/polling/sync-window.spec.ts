import fc from 'fast-check';
import { HOUR_MS } from '../common/time';
import { backfillProblem, intakeHorizon, MAX_CHUNK_MS, planWindow, splitWindow } from './sync-window';

const now = new Date('2026-05-10T12:00:00.000Z');
const base = { now, initialLookbackHours: 24, overlapMinutes: 180, relistMinutes: 60 };

describe('planWindow', () => {
  it('covers the initial lookback on the first run', () => {
    const w = planWindow({ ...base, cursor: null, lastRelistAt: null });
    expect(w).toEqual({ start: new Date(now.getTime() - 24 * HOUR_MS), end: now, relist: false });
  });

  it('starts before the cursor by the overlap, so an alert visible 2 h after its start is still listed', () => {
    const cursor = new Date(now.getTime() - 5 * 60_000);
    const w = planWindow({ ...base, cursor, lastRelistAt: new Date(now.getTime() - 10 * 60_000) });
    expect(w.relist).toBe(false);
    expect(w.start.getTime()).toBe(cursor.getTime() - 180 * 60_000);
    const lateAlertStart = now.getTime() - 2 * HOUR_MS;
    expect(w.start.getTime()).toBeLessThanOrEqual(lateAlertStart);
  });

  it('re-lists the last 7 days once the relist interval has passed, within what Lacework accepts', () => {
    const w = planWindow({
      ...base,
      cursor: new Date(now.getTime() - 60_000),
      lastRelistAt: new Date(now.getTime() - 61 * 60_000),
    });
    expect(w.relist).toBe(true);
    expect(now.getTime() - w.start.getTime()).toBeLessThanOrEqual(MAX_CHUNK_MS);
    expect(now.getTime() - w.start.getTime()).toBeGreaterThan(MAX_CHUNK_MS - HOUR_MS);
  });

  it('plans a window of at least a minute when the cursor is at now and there is no overlap', () => {
    const w = planWindow({ ...base, overlapMinutes: 0, cursor: now, lastRelistAt: now });
    expect(w.relist).toBe(false);
    expect(w.end.getTime() - w.start.getTime()).toBe(60_000);
  });

  it('never ends before it starts and never leaves a gap after the cursor (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 * 24 * 60 }),
        fc.option(fc.integer({ min: 0, max: 24 * 60 })),
        fc.integer({ min: 0, max: 600 }),
        (cursorAgeMin, relistAgeMin, overlap) => {
          const cursor = new Date(now.getTime() - cursorAgeMin * 60_000);
          const lastRelistAt = relistAgeMin === null ? null : new Date(now.getTime() - relistAgeMin * 60_000);
          const w = planWindow({ ...base, overlapMinutes: overlap, cursor, lastRelistAt });
          expect(w.start.getTime()).toBeLessThan(w.end.getTime());
          expect(w.start.getTime()).toBeLessThanOrEqual(cursor.getTime() - overlap * 60_000);
        },
      ),
    );
  });
});

describe('splitWindow', () => {
  it('splits 20 days into 7 + 7 + 6 days', () => {
    const start = new Date('2026-01-01T00:00:00.000Z');
    const chunks = splitWindow({ start, end: new Date(start.getTime() + 20 * 24 * HOUR_MS) });
    expect(chunks.map((c) => (c.end.getTime() - c.start.getTime()) / (24 * HOUR_MS))).toEqual([7, 7, 6]);
  });

  it('covers any window exactly with chunks no longer than the maximum (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 * 24 * 60 }),
        fc.integer({ min: 1, max: 10 * 24 * 60 }),
        (lenMin, maxMin) => {
          const start = new Date('2026-01-01T00:00:00.000Z');
          const end = new Date(start.getTime() + lenMin * 60_000);
          const chunks = splitWindow({ start, end }, maxMin * 60_000);
          expect(chunks[0].start).toEqual(start);
          expect(chunks[chunks.length - 1].end).toEqual(end);
          for (let i = 0; i < chunks.length; i++) {
            expect(chunks[i].end.getTime() - chunks[i].start.getTime()).toBeLessThanOrEqual(maxMin * 60_000);
            if (i > 0) {
              expect(chunks[i].start).toEqual(chunks[i - 1].end);
            }
          }
        },
      ),
    );
  });
});

describe('backfillProblem', () => {
  it.each([
    ['2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z', null],
    ['2026-05-02T00:00:00Z', '2026-05-01T00:00:00Z', 'since'],
    ['2026-01-01T00:00:00Z', '2026-05-01T00:00:00Z', 'since'],
    ['2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z', 'until'],
    ['yesterday', '2026-05-01T00:00:00Z', 'since'],
    ['2026-05-01T00:00:00Z', 'soon', 'until'],
  ])('since %s until %s -> %s', (since, until, field) => {
    expect(backfillProblem(new Date(since), new Date(until), now)?.field ?? null).toBe(field);
  });
});

describe('intakeHorizon', () => {
  const integration = { createdAt: now, initialLookbackHours: 24 };

  it('is the integration start for live runs, whatever window a re-list covers', () => {
    const relistStart = new Date(now.getTime() - MAX_CHUNK_MS);
    expect(intakeHorizon({ backfill: false, windowStart: relistStart }, integration)).toEqual(
      new Date(now.getTime() - 24 * HOUR_MS),
    );
  });

  it("is the start of a backfill's range for a backfill", () => {
    const since = new Date(now.getTime() - 30 * 24 * HOUR_MS);
    expect(intakeHorizon({ backfill: true, windowStart: since }, integration)).toEqual(since);
  });
});
