import { afterAll, beforeAll, expect } from 'vitest';
import { isRewindError } from '../../src/errors/rewind-error.js';
import type { MetricMeasurement, MetricSource, MetricWindow } from '../../src/ports/metric-source.js';
import { contractSuite, type ContractRun } from './contract-suite.js';

/** What a MetricSource test file hands the contract: sources on a real backend with known answers. */
export interface MetricSourceHarness {
  source: MetricSource;
  /** A query with data now, and the value it measures (when the harness knows it exactly). */
  withData: { query: string; value?: number };
  /** A query (and the source to ask, default `source`) for which there is no data: it must measure null. */
  noData: { query: string; source?: MetricSource };
  /** A query the source refuses (syntax, unknown statistic). */
  invalid: string;
  /**
   * A source like `source` whose backend does not answer, its URL carrying `secret` as a password
   * (absent: the skip list says why such a source cannot be told apart from data).
   */
  unavailable?: { source: MetricSource; secret: string };
  cleanup(): Promise<void>;
}

export interface MetricSourceContractOptions extends ContractRun {
  /** The adapter's registered type constant; the source must report it. */
  type: string;
  create(): Promise<MetricSourceHarness>;
  /** What the source declares: history sources honour `endMs` and `stepMs`, live ones measure now. */
  capabilities: { supportsHistory: boolean };
}

async function rejectionOf(promise: Promise<unknown>): Promise<{ code?: string; message: string; json: string }> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(isRewindError(error), String(error)).toBe(true);
  const coded = error as Error & { code: string; toJSON(): unknown };
  return { code: coded.code, message: coded.message, json: JSON.stringify(coded.toJSON()) };
}

/** Every measurement's shape: a number (±Infinity allowed) or null, numeric samples, errors within count. */
function expectWellFormed(measurement: MetricMeasurement): void {
  expect(measurement.value === null || typeof measurement.value === 'number').toBe(true);
  if (typeof measurement.value === 'number') expect(Number.isNaN(measurement.value)).toBe(false);
  for (const sample of measurement.samples ?? []) expect(typeof sample).toBe('number');
  if (measurement.count !== undefined) expect(Number.isInteger(measurement.count) && measurement.count >= 0).toBe(true);
  if (measurement.errors !== undefined) {
    expect(measurement.count).toBeDefined();
    expect(measurement.errors).toBeGreaterThanOrEqual(0);
    expect(measurement.errors).toBeLessThanOrEqual(measurement.count!);
  }
}

/**
 * The MetricSource contract, read from the doc comment of src/ports/metric-source.ts: a source only
 * measures; no data is `value: null`, never a number and never a rejection; it rejects only with
 * REWIND_E_METRIC_QUERY_INVALID (the query) or REWIND_E_METRIC_UNAVAILABLE (the backend), naming no
 * credentials; `supportsHistory` promises that `endMs` and `stepMs` are honoured.
 */
export function metricSourceContract(options: MetricSourceContractOptions): void {
  contractSuite('MetricSource', options, (cases) => {
    let harness: MetricSourceHarness;
    const source = () => harness.source;
    const recent: MetricWindow = { durationMs: 30_000 };

    beforeAll(async () => {
      harness = await options.create();
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    cases.it('reports its registered type and whether it keeps history', () => {
      expect(source().type).toBe(options.type);
      expect(source().supportsHistory).toBe(options.capabilities.supportsHistory);
    });

    cases.it('measures a query with data as a number', async () => {
      const measurement = await source().measure(harness.withData.query, recent);
      expectWellFormed(measurement);
      expect(typeof measurement.value).toBe('number');
      if (harness.withData.value !== undefined) expect(measurement.value).toBe(harness.withData.value);
    });

    cases.it('no data resolves with value null, never a number or a rejection', async () => {
      const measurement = await (harness.noData.source ?? source()).measure(harness.noData.query, recent);
      expectWellFormed(measurement);
      expect(measurement.value).toBeNull();
    });

    cases.it('is read-only and safe to repeat: the same question gets the same answer', async () => {
      // One fixed end for history sources (the same question twice); a live source measures afresh each time.
      const window: MetricWindow = options.capabilities.supportsHistory ? { durationMs: 30_000, endMs: Date.now() } : recent;
      const first = await source().measure(harness.withData.query, window);
      const second = await source().measure(harness.withData.query, window);
      expect(second.value).toBe(first.value);
      if (harness.withData.value !== undefined) expect(first.value).toBe(harness.withData.value);
    });

    cases.it('a query the source refuses rejects with REWIND_E_METRIC_QUERY_INVALID', async () => {
      expect((await rejectionOf(source().measure(harness.invalid, recent))).code).toBe('REWIND_E_METRIC_QUERY_INVALID');
    });

    cases.it('a window that is not a positive length rejects with REWIND_E_METRIC_QUERY_INVALID', async () => {
      for (const durationMs of [0, -1000, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect((await rejectionOf(source().measure(harness.withData.query, { durationMs }))).code).toBe('REWIND_E_METRIC_QUERY_INVALID');
      }
    });

    cases.it('a backend that does not answer rejects with REWIND_E_METRIC_UNAVAILABLE, its password never shown', async () => {
      const { source: down, secret } = harness.unavailable!;
      const error = await rejectionOf(down.measure(harness.withData.query, recent));
      expect(error.code).toBe('REWIND_E_METRIC_UNAVAILABLE');
      expect(error.message).not.toContain(secret);
      expect(error.json).not.toContain(secret);
    });

    cases.itWith('history', options.capabilities.supportsHistory, 'honours a past endMs: a window that ends before there was data measures null', async () => {
      const measurement = await source().measure(harness.withData.query, { durationMs: 60_000, endMs: Date.now() - 3_600_000 });
      expectWellFormed(measurement);
      expect(measurement.value).toBeNull();
    });

    cases.itWith('history', options.capabilities.supportsHistory, 'honours stepMs: samples oldest first, value the newest point', async () => {
      const measurement = await source().measure(harness.withData.query, { durationMs: 5000, stepMs: 1000 });
      expectWellFormed(measurement);
      expect(measurement.samples!.length).toBeGreaterThan(0);
      expect(measurement.samples!.length).toBeLessThanOrEqual(6);
      expect(measurement.value).toBe(measurement.samples!.at(-1));
    });

    cases.itWith('live measurement', !options.capabilities.supportsHistory, 'a live source measures now whatever endMs says, and says how many events it saw', async () => {
      const measurement = await source().measure(harness.withData.query, { durationMs: 5000, endMs: Date.now() - 3_600_000 });
      expectWellFormed(measurement);
      expect(typeof measurement.value).toBe('number');
      expect(measurement.count).toBeGreaterThan(0);
      expect(measurement.samples!.length).toBeLessThanOrEqual(measurement.count!);
    });

    // Last: it closes the source.
    cases.it('close, where present, may be called twice', async () => {
      await source().close?.();
      await source().close?.();
    });
  });
}
