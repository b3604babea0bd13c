import { describe, expect, it } from 'vitest';
import { isRewindError } from '../../errors/rewind-error.js';
import { judgeAnalysisRun, recordMeasurement, runAnalysis, startAnalysisRun } from './analysis-run.js';
import type { AnalysisTemplate, Measurement, MetricSpec } from './analysis-types.js';
import { defaultAnalysisTemplate, ERROR_RATE_METRIC, LATENCY_P95_METRIC } from './default-analysis.js';
import { createSeededRandom } from './seeded-random.js';

const T0 = 1_700_000_000_000;
// One metric with both conditions, so every outcome can be produced on demand.
const VALUE = { succeeded: 5, inconclusive: 15, failed: 25, error: null } as const;
type Kind = keyof typeof VALUE;
const metric = (over: Partial<MetricSpec> = {}): MetricSpec => ({
  name: 'm',
  successCondition: { op: '<', value: 10 },
  failureCondition: { op: '>', value: 20 },
  ...over,
});
const template = (over: Partial<MetricSpec> = {}, count = 100): AnalysisTemplate => ({ intervalMs: 10_000, count, metrics: [metric(over)] });
const series = (kinds: Kind[], name = 'm'): Measurement[] => kinds.map((k, i) => ({ metric: name, at: T0 + i * 10_000, value: VALUE[k] }));
const times = (n: number, kind: Kind): Kind[] => Array.from({ length: n }, () => kind);

describe('limits: each at, below and above its threshold', () => {
  const rows: { limit: 'failureLimit' | 'inconclusiveLimit' | 'consecutiveErrorLimit'; kind: Kind; crossed: 'failed' | 'paused' }[] = [
    { limit: 'failureLimit', kind: 'failed', crossed: 'failed' },
    { limit: 'inconclusiveLimit', kind: 'inconclusive', crossed: 'paused' },
    { limit: 'consecutiveErrorLimit', kind: 'error', crossed: 'paused' },
  ];
  const cases = rows.flatMap((row) =>
    [0, 1, 3].flatMap((value) =>
      [value - 1, value, value + 1].filter((n) => n >= 0).map((n) => ({ ...row, value, n, expected: n > value ? row.crossed : 'continue' })),
    ),
  );
  it.each(cases)('$limit $value with $n $kind measurements → $expected', ({ limit, kind, value, n, expected }) => {
    // a healthy measurement first, so "0 of them" still has something to judge
    const { verdict } = runAnalysis(template({ [limit]: value }), series(['succeeded', ...times(n, kind)]));
    expect(verdict.decision).toBe(expected);
    if (expected !== 'continue') expect(verdict.decidedBy).toHaveLength(n);
  });

  it.each([
    ['failureLimit', 'failed', 1, 'failed'],
    ['inconclusiveLimit', 'inconclusive', 1, 'paused'],
    ['consecutiveErrorLimit', 'error', 5, 'paused'],
  ] as const)('default %s: %s × %d → %s, one fewer → continue', (_limit, kind, atDefault, expected) => {
    expect(runAnalysis(template(), series(times(atDefault - 1, kind))).verdict.decision).toBe('continue');
    expect(runAnalysis(template(), series(times(atDefault, kind))).verdict.decision).toBe(expected);
  });

  it('counts failed and inconclusive measurements in total, errors only in a row', () => {
    const scattered: Kind[] = ['failed', 'succeeded', 'succeeded', 'failed', 'succeeded', 'failed'];
    expect(runAnalysis(template({ failureLimit: 2 }), series(scattered)).verdict.decision).toBe('failed');
    // four errors, a reading, four errors: never five in a row
    const flapping: Kind[] = [...times(4, 'error'), 'succeeded', ...times(4, 'error')];
    const run = runAnalysis(template(), series(flapping));
    expect(run.verdict.decision).toBe('continue');
    expect(run.state.metrics[0]).toMatchObject({ errors: 8, consecutiveErrors: 4 });
  });

  it('succeeds once count judged measurements stayed within the limits; errors do not count towards it', () => {
    expect(runAnalysis(template({}, 3), series(times(2, 'succeeded'))).verdict.decision).toBe('continue');
    const passed = runAnalysis(template({ failureLimit: 1 }, 3), series(['succeeded', 'failed', 'succeeded']));
    expect(passed.verdict).toMatchObject({ decision: 'succeeded', reasons: [expect.stringContaining('3 of 3 measurements judged within limits (1 failed')] });
    expect(passed.verdict.decidedBy.map((x) => x.seq)).toEqual([1, 2, 3]);
    // the two errors do not use up the window: it needs three readings
    const withErrors = runAnalysis(template({}, 3), series(['succeeded', 'error', 'succeeded', 'error']));
    expect(withErrors.verdict.decision).toBe('continue');
    expect(runAnalysis(template({}, 3), series(['succeeded', 'error', 'succeeded', 'error', 'succeeded'])).verdict.decision).toBe('succeeded');
  });

  it('checks failure before inconclusive before errors before count, as Argo does', () => {
    // one measurement both completes the count and crosses a limit: the limit wins
    expect(runAnalysis(template({}, 1), series(['failed'])).verdict.decision).toBe('failed');
    expect(runAnalysis(template({}, 1), series(['inconclusive'])).verdict.decision).toBe('paused');
  });
});

describe('the default template in a deploy', () => {
  const baselines = { [LATENCY_P95_METRIC]: 120 };
  /** One error-rate and one latency measurement per interval, like the runner takes them. */
  function intervals(rates: (number | null)[], p95: (i: number) => number | null = () => 118, requests = 500): Measurement[] {
    return rates.flatMap((rate, i) => {
      const at = T0 + (i + 1) * 10_000;
      const errors = rate === null ? undefined : Math.round(rate * requests);
      return [
        { metric: ERROR_RATE_METRIC, at, value: rate, ...(errors === undefined ? {} : { count: requests, errors }) },
        { metric: LATENCY_P95_METRIC, at, value: p95(i) },
      ];
    });
  }

  it('fails at the interval where errors reach 20 % and names that measurement', () => {
    const { verdict, consumed } = runAnalysis(defaultAnalysisTemplate(), intervals([0.004, 0.006, 0.2, 0.003, 0.002]), baselines);
    expect(verdict.decision).toBe('failed');
    // interval 3's error-rate measurement is the fifth one taken
    expect(consumed).toBe(5);
    expect(verdict.decidedBy).toHaveLength(1);
    expect(verdict.decidedBy[0]).toMatchObject({ metric: ERROR_RATE_METRIC, seq: 3, at: T0 + 30_000, value: 0.2, outcome: 'failed', count: 500, errors: 100 });
    expect(verdict.reasons[0]).toMatch(/^error_rate failed: 1 failed measurement > failureLimit 0; at measurement 3: error_rate 0\.2 > 0\.05 \(100 of 500, P = /);
    expect(verdict.metrics.find((x) => x.metric === LATENCY_P95_METRIC)).toMatchObject({ phase: 'running', succeeded: 2 });
  });

  it('fails a release that is twice as slow at its second slow interval', () => {
    const { verdict, consumed } = runAnalysis(defaultAnalysisTemplate(), intervals([0, 0, 0, 0, 0], (i) => (i >= 1 ? 240 : 118)), baselines);
    expect(verdict.decision).toBe('failed');
    expect(consumed).toBe(6);
    expect(verdict.decidedBy.map((x) => x.seq)).toEqual([2, 3]);
    expect(verdict.reasons[0]).toContain('latency_p95_ms 240 > 1.5 × baseline 120 = 180');
  });

  it('passes a healthy release after the full 3-minute window', () => {
    const { verdict, consumed } = runAnalysis(defaultAnalysisTemplate(), intervals(Array.from({ length: 18 }, () => 0.004)), baselines);
    expect(verdict.decision).toBe('succeeded');
    expect(consumed).toBe(36);
    expect(verdict.decidedBy).toHaveLength(36);
  });

  it('pauses, and never fails, when data is missing: nulls, source errors, a missing baseline', () => {
    const nulls = runAnalysis(defaultAnalysisTemplate(), intervals([0.001, null, null, null, null, null, 0.5]), baselines);
    expect(nulls.verdict.decision).toBe('paused');
    expect(nulls.verdict.decidedBy.map((x) => x.seq)).toEqual([2, 3, 4, 5, 6]);
    expect(nulls.verdict.reasons[0]).toMatch(/^error_rate has no usable data: 5 consecutive errors > consecutiveErrorLimit 4; .*no data\. Not rolled back automatically/);

    const down = intervals(Array.from({ length: 8 }, () => 0.001)).map((x) => (x.metric === LATENCY_P95_METRIC ? { ...x, value: null, sourceError: 'connect ECONNREFUSED 127.0.0.1:9090' } : x));
    expect(runAnalysis(defaultAnalysisTemplate(), down, baselines).verdict).toMatchObject({ decision: 'paused', reasons: [expect.stringContaining('ECONNREFUSED')] });

    // a latency of a whole minute but no baseline to compare it with: pause, do not guess
    const noBaseline = runAnalysis(defaultAnalysisTemplate(), intervals(Array.from({ length: 8 }, () => 0.001), () => 60_000), {});
    expect(noBaseline.verdict).toMatchObject({ decision: 'paused', reasons: [expect.stringContaining('no baseline')] });
  });

  it('never fails over 200 seeded runs whose only trouble is missing data', () => {
    const decisions = new Map<string, number>();
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = createSeededRandom(seed);
      const missing = rnd.next(); // how flaky this run's source is, 0–100 %
      const gap = (): Partial<Measurement> => {
        const r = rnd.next();
        if (r >= missing) return {};
        return r < missing / 2 ? { value: null } : { value: null, sourceError: 'timeout after 5000 ms' };
      };
      const stream = intervals(Array.from({ length: 60 }, () => 0.002)).map((x) => ({ ...x, ...gap() }));
      const { verdict } = runAnalysis(defaultAnalysisTemplate(), stream, baselines);
      decisions.set(verdict.decision, (decisions.get(verdict.decision) ?? 0) + 1);
    }
    expect(decisions.get('failed')).toBeUndefined();
    expect(decisions.get('paused')).toBeGreaterThan(0);
    expect(decisions.get('succeeded')).toBeGreaterThan(0);
  });
});

describe('the fold', () => {
  const two: AnalysisTemplate = { intervalMs: 10_000, count: 10, metrics: [metric({ name: 'a' }), metric({ name: 'b' })] };

  it('escalates a pause to a failure when another metric fails later', () => {
    let state = startAnalysisRun(two);
    for (const x of series(times(5, 'error'), 'a')) state = recordMeasurement(state, x);
    expect(judgeAnalysisRun(state).decision).toBe('paused');
    state = recordMeasurement(state, series(['failed'], 'b')[0]!);
    const verdict = judgeAnalysisRun(state);
    expect(verdict.decision).toBe('failed');
    expect(verdict.decidedBy).toEqual([expect.objectContaining({ metric: 'b', seq: 1, outcome: 'failed' })]);
  });

  it('ignores measurements of a metric whose phase is final, and never mutates the state it is given', () => {
    const failed = runAnalysis(template(), series(['failed'])).state;
    const snapshot = JSON.stringify(failed);
    const after = recordMeasurement(failed, series(['succeeded'])[0]!);
    expect(after).toBe(failed);
    const running = startAnalysisRun(two);
    const next = recordMeasurement(running, series(['succeeded'], 'a')[0]!);
    expect(next).not.toBe(running);
    expect(running.metrics[0]!.measurements).toHaveLength(0);
    expect(JSON.stringify(failed)).toBe(snapshot);
  });

  it('keeps judgements, not raw samples, for the journal', () => {
    const state = recordMeasurement(startAnalysisRun(template()), { metric: 'm', at: T0, value: 5, samples: [1, 2, 3] });
    expect(state.metrics[0]!.measurements[0]).toEqual({ metric: 'm', at: T0, value: 5, seq: 1, outcome: 'succeeded', reason: 'm 5 < 10' });
  });

  it('reports progress while continuing, with the latest measurement of each metric', () => {
    let state = startAnalysisRun(two);
    for (const x of [...series(['succeeded', 'inconclusive'], 'a'), ...series(['error'], 'b')]) state = recordMeasurement(state, x);
    const verdict = judgeAnalysisRun(state);
    expect(verdict.decision).toBe('paused'); // inconclusiveLimit 0 crossed on a
    const calm = recordMeasurement(startAnalysisRun(two), series(['succeeded'], 'a')[0]!);
    expect(judgeAnalysisRun(calm)).toMatchObject({ decision: 'continue', reasons: ['a: 1 of 10 judged (0 failed, 0 inconclusive, 0 consecutive errors)', 'b: 0 of 10 judged (0 failed, 0 inconclusive, 0 consecutive errors)'] });
    expect(judgeAnalysisRun(calm).decidedBy).toHaveLength(1);
  });

  it('refuses a measurement of a metric the template does not have (a runner bug)', () => {
    let thrown: unknown;
    try {
      recordMeasurement(startAnalysisRun(template()), { metric: 'nope', at: T0, value: 1 });
    } catch (error) {
      thrown = error;
    }
    expect(isRewindError(thrown) && thrown.code).toBe('REWIND_E_INTERNAL');
  });

  it('pauses rather than passes a template with no metrics', () => {
    expect(runAnalysis({ intervalMs: 1000, count: 1, metrics: [] }, []).verdict).toMatchObject({ decision: 'paused', reasons: [expect.stringContaining('no metrics')] });
  });
});
