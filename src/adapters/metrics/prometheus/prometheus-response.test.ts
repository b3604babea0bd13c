import { describe, expect, it } from 'vitest';
import { parsePrometheusData, parseSampleValue } from './prometheus-response.js';

// Bodies as Prometheus 2.x sends them (data of {"status":"success","data":…}), from its API docs
// and from answers of the real server in test/metrics.
const vector = (...values: string[]) => ({
  resultType: 'vector',
  result: values.map((value, i) => ({ metric: { job: 'sample', instance: `127.0.0.1:${3000 + i}` }, value: [1717400000.123, value] })),
});

describe('parseSampleValue', () => {
  it('reads Prometheus float strings, with NaN as no data', () => {
    expect(parseSampleValue('1')).toBe(1);
    expect(parseSampleValue('0.25')).toBe(0.25);
    expect(parseSampleValue('1e+06')).toBe(1_000_000);
    expect(parseSampleValue('-3.5e-2')).toBe(-0.035);
    expect(parseSampleValue('+Inf')).toBe(Infinity);
    expect(parseSampleValue('-Inf')).toBe(-Infinity);
    expect(parseSampleValue('NaN')).toBeNull();
    expect(parseSampleValue('')).toBeNull();
  });
});

describe('parsePrometheusData', () => {
  it('vector: one series is its number, none is null (no data), NaN is null', () => {
    expect(parsePrometheusData(vector('42'))).toEqual({ ok: true, measurement: { value: 42 } });
    expect(parsePrometheusData({ resultType: 'vector', result: [] })).toEqual({ ok: true, measurement: { value: null } });
    expect(parsePrometheusData(vector('NaN'))).toEqual({ ok: true, measurement: { value: null } });
    expect(parsePrometheusData(vector('+Inf'))).toEqual({ ok: true, measurement: { value: Infinity } });
  });

  it('vector: several series are refused, naming them and how to aggregate', () => {
    const result = parsePrometheusData(vector('1', '2', '3', '4'));
    expect(result).toMatchObject({ ok: false, problem: 'query' });
    expect(result.ok === false && result.reason).toBe(
      'the query returns 4 series ({job="sample",instance="127.0.0.1:3000"} {job="sample",instance="127.0.0.1:3001"} {job="sample",instance="127.0.0.1:3002"} and 1 more); aggregate them to one with sum(), max() or avg()',
    );
  });

  it('scalar: [time, "value"]', () => {
    expect(parsePrometheusData({ resultType: 'scalar', result: [1717400000, '0.5'] })).toEqual({ ok: true, measurement: { value: 0.5 } });
    expect(parsePrometheusData({ resultType: 'scalar', result: [1717400000, 'NaN'] })).toEqual({ ok: true, measurement: { value: null } });
  });

  it('matrix: points in time order, NaN gaps dropped, value is the newest point', () => {
    const data = {
      resultType: 'matrix',
      result: [{ metric: {}, values: [[1717400000, '10'], [1717400001, 'NaN'], [1717400002, '20'], [1717400003, '25.5']] }],
    };
    expect(parsePrometheusData(data)).toEqual({ ok: true, measurement: { value: 25.5, samples: [10, 20, 25.5] } });
    expect(parsePrometheusData({ resultType: 'matrix', result: [] })).toEqual({ ok: true, measurement: { value: null, samples: [] } });
    expect(parsePrometheusData({ resultType: 'matrix', result: [{ metric: {}, values: [[1717400000, 'NaN']] }] })).toEqual({
      ok: true,
      measurement: { value: null, samples: [] },
    });
    const two = { resultType: 'matrix', result: [{ metric: { a: '1' }, values: [] }, { metric: { a: '2' }, values: [] }] };
    expect(parsePrometheusData(two)).toMatchObject({ ok: false, problem: 'query' });
  });

  it('refuses answers that are not numbers: strings and native histograms', () => {
    expect(parsePrometheusData({ resultType: 'string', result: [1717400000, 'hello'] })).toMatchObject({ ok: false, problem: 'query' });
    const histogram = { resultType: 'vector', result: [{ metric: {}, histogram: [1717400000, { count: '3', sum: '1.5', buckets: [] }] }] };
    expect(parsePrometheusData(histogram)).toMatchObject({ ok: false, problem: 'query', reason: expect.stringContaining('native histogram') });
    const histograms = { resultType: 'matrix', result: [{ metric: {}, histograms: [[1717400000, { count: '3', sum: '1.5' }]] }] };
    expect(parsePrometheusData(histograms)).toMatchObject({ ok: false, problem: 'query' });
  });

  it('calls anything that is not the Prometheus shape malformed', () => {
    for (const data of [undefined, null, 'x', {}, { resultType: 'vector' }, { resultType: 'vector', result: [{ metric: {}, value: [1, 2] }] }, { resultType: 'scalar', result: ['1', 1] }, { resultType: 'matrix', result: [{ values: [['x', '1']] }] }, { resultType: 'exemplars', result: [] }]) {
      expect(parsePrometheusData(data)).toMatchObject({ ok: false, problem: 'malformed' });
    }
  });
});
