import { describe, expect, it } from 'vitest';
import type { DoraIncidentRow, DoraJournal, DoraOperationRow, DoraRows } from '../../ports/ledger-dora.js';
import { RewindError } from '../../errors/rewind-error.js';
import { computeDora, durationBucket, frequencyBucket } from './dora-metrics.js';
import { parseSince } from './report-window.js';

// Hand-built rows; every expected number below is worked out by hand in the comments.
const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const T0 = Date.UTC(2026, 8, 1); // 2026-09-01T00:00Z, a UTC midnight so days and weeks line up
const WINDOW = { since: T0, until: T0 + 28 * D }; // 4 weeks, one 30-day period

const journal = (j: Partial<DoraJournal> = {}): DoraJournal => ({ activated: false, firstFailedAt: null, checks: 0, checksPassed: 0, lastCheckAt: null, ...j });

function deploy(id: string, version: string, startedAt: number, o: Partial<DoraOperationRow> & { j?: Partial<DoraJournal> } = {}): DoraOperationRow {
  const state = o.state ?? 'succeeded';
  const { j, ...rest } = o;
  return {
    id,
    kind: 'deploy',
    state,
    toVersion: version,
    fromVersion: null,
    parentId: null,
    startedAt,
    finishedAt: state === 'running' ? null : startedAt + 10 * M,
    committedAt: null,
    registeredAt: startedAt - H,
    deployedBefore: false,
    incidentId: null,
    drill: false,
    journal: state === 'succeeded' ? null : journal(j),
    ...rest,
  };
}

function rollback(id: string, from: string, startedAt: number, o: Partial<DoraOperationRow> & { j?: Partial<DoraJournal> } = {}): DoraOperationRow {
  const { j, ...rest } = o;
  return {
    id,
    kind: 'rollback',
    state: 'succeeded',
    toVersion: 'lkg',
    fromVersion: from,
    parentId: null,
    startedAt,
    finishedAt: startedAt + 5 * M,
    committedAt: null,
    registeredAt: null,
    deployedBefore: false,
    incidentId: null,
    drill: false,
    journal: journal(j),
    ...rest,
  };
}

const incident = (id: number, openedAt: number, operationIds: string[], detectedAt: number | null = null): DoraIncidentRow => ({ id, openedAt, detectedAt, operationIds });

describe('computeDora', () => {
  it('no deploys: zero counts, no rates, no medians, the slowest frequency bucket', () => {
    const report = computeDora('production', { operations: [], incidents: [] }, WINDOW);
    expect(report.window).toEqual({ sinceAt: T0, untilAt: T0 + 28 * D, days: 28 });
    expect(report.deploymentFrequency).toMatchObject({ deploys: 0, perDay: 0, perWeek: 0, deployDays: 0, bucket: 'fewer' });
    expect(report.leadTime).toMatchObject({ samples: 0, medianMs: null, p90Ms: null, bucket: null });
    expect(report.changeFailureRate).toMatchObject({ deploys: 0, failed: 0, rate: null });
    expect(report.timeToRestore).toMatchObject({ samples: 0, medianMs: null, bucket: null });
  });

  // One month of an environment's life, with every rule in it.
  const scenario: DoraRows = {
    operations: [
      // lead 3 h 10 min from its commit
      deploy('d1', '1.0.0', T0 + H, { committedAt: T0 - 2 * H, registeredAt: T0 }),
      // no commit time: lead from register, 1 day 10 min
      deploy('d2', '1.1.0', T0 + 2 * D, { registeredAt: T0 + D }),
      // rolled back twice (the first rollback failed): one failed deploy; both rollbacks in incident 7
      rollback('r1', '1.1.0', T0 + 2 * D + H, { state: 'failed', incidentId: 7 }),
      rollback('r2', '1.1.0', T0 + 2 * D + 2 * H, { incidentId: 7, j: { checks: 2, checksPassed: 2, lastCheckAt: T0 + 2 * D + 2 * H + 4 * M } }),
      // two failed deploys, each rolled back automatically, both rollbacks joined into incident 9
      deploy('d3', '2.0.0', T0 + 10 * D, { state: 'failed', committedAt: T0 + 9 * D, j: { activated: true, firstFailedAt: T0 + 10 * D + 3 * M } }),
      rollback('r3', '2.0.0', T0 + 10 * D + 4 * M, { parentId: 'd3', incidentId: 9, j: { checks: 1, checksPassed: 1, lastCheckAt: T0 + 10 * D + 7 * M } }),
      deploy('d4', '2.0.1', T0 + 10 * D + H, { state: 'failed', j: { activated: true, firstFailedAt: T0 + 10 * D + H + 2 * M } }),
      rollback('r4', '2.0.1', T0 + 10 * D + H + 3 * M, { parentId: 'd4', incidentId: 9, finishedAt: T0 + 10 * D + H + 9 * M }),
      // stopped in preflight: never went live
      deploy('d5', '2.0.2', T0 + 11 * D, { state: 'failed', j: { firstFailedAt: T0 + 11 * D + M } }),
      // lead 12 h 20 min (finished 20 min after start)
      deploy('d6', '2.0.2', T0 + 12 * D, { committedAt: T0 + 11 * D + 12 * H, finishedAt: T0 + 12 * D + 20 * M }),
      // a rollback with no incident (a ledger from before incidents): of d6, the live deploy of 2.0.2
      rollback('r5', '2.0.2', T0 + 20 * D, { finishedAt: T0 + 20 * D + 10 * M, j: { checks: 1, checksPassed: 1, lastCheckAt: T0 + 20 * D + 9 * M } }),
      // the same version again: a redeploy, not a new change
      deploy('d8', '1.0.0', T0 + 21 * D, { finishedAt: T0 + 21 * D + 5 * M }),
      // still running: no outcome yet
      deploy('d7', '3.0.0', T0 + 27 * D, { state: 'running' }),
    ],
    incidents: [incident(7, T0 + 2 * D + H, ['r1', 'r2'], T0 + 2 * D + 30 * M), incident(9, T0 + 10 * D + 4 * M, ['r3', 'r4'])],
  };

  it('deployment frequency: successful deploys only; four weeks with 2, 1, 0, 1 deploying days: median 1, daily-weekly', () => {
    const f = computeDora('production', scenario, WINDOW).deploymentFrequency;
    // succeeded: d1, d2, d6, d8; failed d3, d4, d5; running d7
    expect(f).toEqual({
      deploys: 4,
      perDay: 0.143, // 4 / 28
      perWeek: 1,
      deployDays: 4,
      medianDeployDaysPerWeek: 1, // weeks: {day 0, day 2}, {day 12}, {}, {day 21} -> 2, 1, 0, 1
      medianDeploysPerMonth: 4,
      bucket: 'daily-weekly',
      excluded: { failed: 3, running: 1, drill: 0 },
    });
  });

  it('lead time: first successful deploy of each release, from the commit time or, said so, the register time', () => {
    const l = computeDora('production', scenario, WINDOW).leadTime;
    // samples 190 min (d1, commit), 1450 min (d2, register), 740 min (d6, commit); d8 is a redeploy
    expect(l).toEqual({
      samples: 3,
      medianMs: 740 * M,
      p90Ms: 1308 * M, // type 7: 740 + 0.8 × (1450 − 740)
      bucket: 'hour-to-day',
      fromCommitTime: 2,
      fromRegisterTime: 1,
      excluded: { redeploys: 1, commitAfterDeploy: 0, noRelease: 0, drill: 0 },
    });
  });

  it('change failure rate: distinct live deploys followed by a rollback or incident, over live deploys', () => {
    const c = computeDora('production', scenario, WINDOW).changeFailureRate;
    // live: d1 d2 d3 d4 d6 d8 (d5 never went live, d7 runs); failed: d2 (twice rolled back, once counted), d3, d4, d6
    expect(c).toEqual({
      deploys: 6,
      failed: 4,
      rate: 0.6667,
      withIncident: 3, // d2 (incident 7), d3 and d4 (incident 9)
      failedUnrolledBack: 0,
      excluded: { neverLive: 1, running: 1, drill: 0, rollbacksOfEarlierDeploys: 0 },
    });
  });

  it('time to restore: one sample per incident (however many rollbacks joined it), detected to restored', () => {
    const t = computeDora('production', scenario, WINDOW).timeToRestore;
    // incident 7: a person noticed at +30 min; r1 failed, r2 restored (checks passed) at 2 h 04 min: 94 min
    // incident 9: d3 failed at +3 min; r4 (no checks) restored last at 1 h 09 min: 66 min, unverified
    // r5: no detection recorded, from its start to its checks passing: 9 min
    expect(t).toEqual({
      samples: 3,
      medianMs: 66 * M,
      p90Ms: Math.round(88.4 * M), // 66 + 0.8 × (94 − 66)
      bucket: 'hour-to-day',
      fromIncidents: 2,
      fromRollbacks: 1,
      unverified: 1,
      excluded: { notRestored: 0, drill: 0, partOfEarlierIncident: 0 },
    });
  });

  it('a deploy rolled back twice counts once, and a rollback whose retry also failed leaves the incident unrestored', () => {
    const rows: DoraRows = {
      operations: [
        deploy('a', '1.0.0', T0 + H),
        rollback('ra', '1.0.0', T0 + 2 * H, { state: 'failed', incidentId: 1 }),
        rollback('rb', '1.0.0', T0 + 3 * H, { state: 'failed', incidentId: 1 }),
      ],
      incidents: [incident(1, T0 + 2 * H, ['ra', 'rb'])],
    };
    const report = computeDora('production', rows, WINDOW);
    expect(report.changeFailureRate).toMatchObject({ deploys: 1, failed: 1, rate: 1, withIncident: 1 });
    expect(report.timeToRestore).toMatchObject({ samples: 0, medianMs: null, excluded: { notRestored: 1, drill: 0, partOfEarlierIncident: 0 } });
  });

  it('a later failed rollback undoes an earlier restore; a later successful one restores again', () => {
    const rows: DoraRows = {
      operations: [
        deploy('a', '1.0.0', T0),
        rollback('r1', '1.0.0', T0 + H, { incidentId: 1 }), // restored at finish, T0 + 1 h 05, unverified
        rollback('r2', '1.0.0', T0 + 2 * H, { state: 'failed', incidentId: 1 }),
      ],
      incidents: [incident(1, T0 + H, ['r1', 'r2'])],
    };
    expect(computeDora('production', rows, WINDOW).timeToRestore.excluded.notRestored).toBe(1);
    rows.operations.push(rollback('r3', '1.0.0', T0 + 3 * H, { incidentId: 1, j: { checks: 1, checksPassed: 1, lastCheckAt: T0 + 3 * H + 2 * M } }));
    rows.incidents[0]!.operationIds.push('r3');
    // detected: no failing check, no person: the first rollback's start, T0 + 1 h; restored T0 + 3 h 02
    expect(computeDora('production', rows, WINDOW).timeToRestore).toMatchObject({ samples: 1, medianMs: 2 * H + 2 * M, unverified: 0 });
  });

  it('a rollback of a deploy from before the window is no failure of the window; its restore still counts', () => {
    const rows: DoraRows = {
      operations: [
        // outside the window, read because the rollback names it
        deploy('old', '0.9.0', T0 - D, { state: 'failed', j: { activated: true, firstFailedAt: T0 - 5 * M } }),
        rollback('r', '0.9.0', T0 + M, { parentId: 'old', finishedAt: T0 + 6 * M }),
        // a manual rollback of a version whose live deploy was before the window
        rollback('m', '0.8.0', T0 + 2 * H, { finishedAt: T0 + 2 * H + 3 * M }),
        deploy('new', '1.0.0', T0 + D),
      ],
      incidents: [],
    };
    const report = computeDora('production', rows, WINDOW);
    expect(report.changeFailureRate).toMatchObject({ deploys: 1, failed: 0, rate: 0, excluded: { neverLive: 0, running: 0, drill: 0, rollbacksOfEarlierDeploys: 2 } });
    // r: detected T0 − 5 min (the old deploy's failing step), restored T0 + 6 min: 11 min; m: 3 min
    expect(report.timeToRestore).toMatchObject({ samples: 2, medianMs: 7 * M, fromRollbacks: 2, unverified: 2 });
  });

  it('a manual rollback belongs to the deploy that last put its from-version live, not to one that never went live', () => {
    const rows: DoraRows = {
      operations: [
        deploy('first', '1.0.0', T0 + H),
        deploy('second', '1.0.0', T0 + 2 * H, { state: 'failed', j: { firstFailedAt: T0 + 2 * H + M } }), // preflight stop
        deploy('other', '2.0.0', T0 + 3 * H),
        rollback('r', '1.0.0', T0 + 4 * H),
      ],
      incidents: [],
    };
    const c = computeDora('production', rows, WINDOW).changeFailureRate;
    expect(c).toMatchObject({ deploys: 2, failed: 1, rate: 0.5, excluded: { neverLive: 1, running: 0, drill: 0, rollbacksOfEarlierDeploys: 0 } });
  });

  it('a live deploy that failed verification with no rollback is in the denominator and reported, not counted failed', () => {
    const rows: DoraRows = { operations: [deploy('p', '1.0.0', T0, { state: 'failed', j: { activated: true, firstFailedAt: T0 + M } }), deploy('q', '1.0.1', T0 + D)], incidents: [] };
    expect(computeDora('production', rows, WINDOW).changeFailureRate).toMatchObject({ deploys: 2, failed: 0, rate: 0, failedUnrolledBack: 1 });
  });

  it('drills are left out of every metric and counted', () => {
    const rows: DoraRows = {
      operations: [deploy('d', '1.0.0', T0 + H, { drill: true }), rollback('r', '1.0.0', T0 + 2 * H, { drill: true }), deploy('real', '1.0.1', T0 + D)],
      incidents: [],
    };
    const report = computeDora('production', rows, WINDOW);
    expect(report.deploymentFrequency).toMatchObject({ deploys: 1, excluded: { failed: 0, running: 0, drill: 1 } });
    expect(report.leadTime).toMatchObject({ samples: 1, excluded: { drill: 1 } });
    expect(report.changeFailureRate).toMatchObject({ deploys: 1, failed: 0, excluded: { drill: 1 } });
    expect(report.timeToRestore).toMatchObject({ samples: 0, excluded: { notRestored: 0, drill: 1, partOfEarlierIncident: 0 } });
  });

  it('a rollback that joined an incident opened before the window belongs to that incident, not this window', () => {
    const rows: DoraRows = { operations: [rollback('r', '1.0.0', T0 + H, { incidentId: 42 })], incidents: [] };
    expect(computeDora('production', rows, WINDOW).timeToRestore).toMatchObject({ samples: 0, excluded: { notRestored: 0, drill: 0, partOfEarlierIncident: 1 } });
  });

  it('a commit time after the deploy is refused as a sample, and said so', () => {
    const rows: DoraRows = { operations: [deploy('d', '1.0.0', T0 + H, { committedAt: T0 + 2 * H })], incidents: [] };
    expect(computeDora('production', rows, WINDOW).leadTime).toMatchObject({ samples: 0, excluded: { commitAfterDeploy: 1 } });
  });
});

describe('frequencyBucket', () => {
  const times = (n: number, every: number, start = T0 + H) => Array.from({ length: n }, (_, i) => start + i * every);
  it('twice a day every day is on-demand; once a day is daily-weekly', () => {
    expect(frequencyBucket(WINDOW, [...times(28, D), ...times(28, D, T0 + 2 * H)]).bucket).toBe('on-demand');
    expect(frequencyBucket(WINDOW, times(28, D)).bucket).toBe('daily-weekly');
  });
  it('a window ending mid-day still has at most 7 deploying days a week, and a sliver of a period moves no median', () => {
    const w = { since: T0 + 14 * H + 38 * M, until: T0 + 28 * D + 14 * H + 38 * M + 1000 };
    expect(frequencyBucket(w, times(28 * 24, H, w.since))).toMatchObject({ medianDeployDaysPerWeek: 7, medianDeploysPerMonth: 28 * 24, bucket: 'on-demand' });
  });
  it('one deploy in four weeks: weekly-monthly; one in 90 days: monthly-6-monthly; one in a year: fewer', () => {
    expect(frequencyBucket(WINDOW, [T0 + D])).toMatchObject({ bucket: 'weekly-monthly', medianDeployDaysPerWeek: 0, medianDeploysPerMonth: 1 });
    expect(frequencyBucket({ since: T0, until: T0 + 90 * D }, [T0 + D])).toMatchObject({ bucket: 'monthly-6-monthly', medianDeploysPerMonth: 0 });
    expect(frequencyBucket({ since: T0, until: T0 + 365 * D }, [T0 + D]).bucket).toBe('fewer');
  });
  it('a time weighted n counts as n deploys at that time (the ledger\'s groups)', () => {
    const once = times(28, D);
    const weighted = frequencyBucket(WINDOW, once, once.map(() => 2));
    expect(weighted).toEqual(frequencyBucket(WINDOW, [...once, ...once]));
    expect(weighted).toMatchObject({ bucket: 'on-demand', medianDeploysPerMonth: 56 });
    expect(frequencyBucket({ since: T0, until: T0 + 365 * D }, [T0 + D], [3])).toEqual(frequencyBucket({ since: T0, until: T0 + 365 * D }, [T0 + D, T0 + D, T0 + D]));
    expect(frequencyBucket({ since: T0, until: T0 + 365 * D }, [T0 + D], [3]).bucket).toBe('monthly-6-monthly');
  });
});

describe('durationBucket', () => {
  it('puts each boundary in the slower bucket', () => {
    expect([59 * M, H, D - 1, D, 7 * D, 30 * D, 182 * D].map(durationBucket)).toEqual(['under-an-hour', 'hour-to-day', 'hour-to-day', 'day-to-week', 'week-to-month', 'month-to-6-months', 'over-6-months']);
  });
});

describe('parseSince', () => {
  const now = Date.UTC(2026, 11, 6, 12);
  it('reads days, weeks and ISO dates', () => {
    expect(parseSince(undefined, now)).toEqual({ since: now - 90 * D, until: now });
    expect(parseSince('12w', now)).toEqual({ since: now - 84 * D, until: now });
    expect(parseSince('2026-09-01', now).since).toBe(T0);
    expect(parseSince('2026-09-01T02:00:00+02:00', now).since).toBe(T0);
  });
  it.each(['abc', '0d', '90', '-5d', '2026-02-30', '2027-01-01', '99999d', '90 d'])('refuses %j as REWIND_E_USAGE naming --since', (given) => {
    let error: unknown;
    try {
      parseSince(given, now);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RewindError);
    expect(error).toMatchObject({ code: 'REWIND_E_USAGE', details: { argument: '--since' } });
    expect((error as Error).message).toContain('--since');
  });
});

describe('computeDora with the ledger\'s counted successful deploys (rows.succeeded)', () => {
  // The frequency medians must not tell the ledger's day-slot groups from the real times: the same
  // successful deploys, once as rows and once grouped as the SQL groups them, give the same report.
  // Windows that do not start or end on a UTC midnight, and that are not whole weeks or months.
  it('gives the same frequency as the rows, whatever the window', () => {
    let seed = 11;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (const window of [WINDOW, { since: T0 + 5 * H + 17, until: T0 + 95 * D + 3 * H }, { since: T0 + 7, until: T0 + 3 * D + 11 }, { since: T0, until: T0 + 400 * D + 1 }]) {
      const span = window.until - window.since;
      const deploys = Array.from({ length: 300 }, (_, i) => deploy(`d${i}`, `v${i}`, window.since + Math.floor(next() * span), { finishedAt: null }))
        // Some finish after the window ends (still counted, in no period), most at their start.
        .map((d, i) => (i % 17 === 0 ? { ...d, finishedAt: window.until + (i % 3) * H } : d));
      const slow = computeDora('production', { operations: deploys, incidents: [] }, window);
      const groups = new Map<string, { absDay: number; fromUntil: number | null; fromSince: number | null; count: number }>();
      for (const d of deploys) {
        const t = d.finishedAt ?? d.startedAt;
        const g = { absDay: Math.floor(t / D), fromUntil: t < window.until ? Math.floor((t - window.until) / D) : null, fromSince: t >= window.since ? Math.floor((t - window.since) / D) : null, count: 0 };
        const key = JSON.stringify([g.absDay, g.fromUntil, g.fromSince]);
        (groups.get(key) ?? groups.set(key, g).get(key)!).count++;
      }
      const fast = computeDora('production', {
        operations: [],
        incidents: [],
        succeeded: {
          deploys: deploys.length,
          drill: 0,
          times: [...groups.values()],
          lead: { samples: slow.leadTime.samples, median: slow.leadTime.medianMs, p90: slow.leadTime.p90Ms, fromCommitTime: 0, fromRegisterTime: slow.leadTime.fromRegisterTime, redeploys: 0, commitAfterDeploy: 0, noRelease: 0 },
        },
      }, window);
      expect(groups.size).toBeLessThan(deploys.length);
      expect(fast.deploymentFrequency).toEqual(slow.deploymentFrequency);
      expect(fast.changeFailureRate.deploys).toBe(slow.changeFailureRate.deploys);
      expect(fast.leadTime).toEqual(slow.leadTime);
    }
  });
});
