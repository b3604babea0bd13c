import { describe, expect, it } from 'vitest';
import { watchSettingsSchema } from '../../config/config-schema.js';
import type { MetricSource } from '../../ports/metric-source.js';
import { measureMetric } from './measure-metric.js';

describe('measureMetric', () => {
  const watch = watchSettingsSchema.parse({
    source: { type: 'prometheus', url: 'http://127.0.0.1:9090', queries: { error_rate: 'sum(rate(errors{instance="{{instance}}",slot="{{slot}}"}[{{window}}]))' } },
  });
  const asked: string[] = [];
  const source: MetricSource = { type: 'fake', supportsHistory: true, measure: async (query) => (asked.push(query), { value: 0.01 }) };

  it('fills {{instance}} and {{slot}} for a canary reading and leaves {{window}} to the source', async () => {
    const reading = await measureMetric(source, watch, 'error_rate', { instance: '127.0.0.1:3002', slot: 'green' });
    expect(asked.at(-1)).toBe('sum(rate(errors{instance="127.0.0.1:3002",slot="green"}[{{window}}]))');
    expect(reading).toMatchObject({ metric: 'error_rate', value: 0.01 });
  });

  it('leaves placeholders it was not given, and names a metric without a query as a source error', async () => {
    await measureMetric(source, watch, 'error_rate');
    expect(asked.at(-1)).toContain('{{instance}}');
    expect(await measureMetric(source, watch, 'latency_p95_ms')).toMatchObject({ value: null, sourceError: expect.stringContaining('no query for latency_p95_ms') });
  });
});
