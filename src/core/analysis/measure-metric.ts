import type { WatchSettings } from '../../config/config-schema.js';
import { toRewindError } from '../../errors/rewind-error.js';
import type { MetricSource } from '../../ports/metric-source.js';
import type { Measurement } from './analysis-types.js';

/**
 * One reading of one analysis metric through the environment's `watch.source`, over one interval.
 * Shared by the watch window and `rewind advise` so both ask the source the same query, over the
 * same window, and treat its failures the same way. Never throws: a missing query or a source that
 * cannot answer is a measurement with `value: null` and `sourceError`, because missing data is not
 * evidence about the release.
 */
export async function measureMetric(source: MetricSource, watch: WatchSettings, metric: string, placeholders: Record<string, string> = {}): Promise<Measurement> {
  // `placeholders` fill {{instance}} (host:port) and {{slot}}: a canary measures each slot with the same PromQL.
  const raw = watch.source.queries[metric];
  const query = raw === undefined ? undefined : raw.replace(/\{\{(instance|slot)\}\}/g, (whole, key: string) => placeholders[key] ?? whole);
  if (query === undefined) return { metric, at: Date.now(), value: null, sourceError: `watch.source.queries has no query for ${metric}` };
  try {
    const m = await source.measure(query, { durationMs: watch.intervalMs });
    return { metric, at: Date.now(), value: m.value, count: m.count, errors: m.errors, samples: m.samples };
  } catch (error) {
    return { metric, at: Date.now(), value: null, sourceError: toRewindError(error).message };
  }
}
