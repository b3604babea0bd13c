import type { EnvironmentConfig, WatchSettings } from '../../../config/config-schema.js';
import type { SlotState } from '../../../ports/target.js';
import type { PlanStep } from '../../plan.js';
import { urlWithoutPassword } from '../../../util/url-credentials.js';
import { urlOnSlot } from '../../traffic/slot-choice.js';
import { step } from './step.js';

/** Step builders for the checks around an activation: health, smoke, metrics (plain data, no I/O). */

/** A health probe of `version`; with `slot`, sent to that slot directly instead of through the router. */
export function healthStep(id: string, config: EnvironmentConfig, version: string, phase: PlanStep['phase'], slot?: SlotState & { host: string; port: number }): PlanStep {
  const health = config.health!;
  // The plan is printed and stored: a password in the URL is not part of it (the probe reads the config).
  const url = urlWithoutPassword(slot ? urlOnSlot(health.url, slot) : health.url);
  return step({
    id,
    kind: id === 'baseline-health' ? 'baseline-health' : 'health',
    phase,
    title: `${id === 'baseline-health' ? 'baseline health of' : 'health of'} ${version}${slot ? ` on slot ${slot.name}` : ''}`,
    params: slot ? { version, slot: { name: slot.name, host: slot.host, port: slot.port } } : { version },
    effects: [
      `${health.method} ${url} expecting ${JSON.stringify(health.expectStatus)}${health.json ? ` and ${JSON.stringify(health.json).replaceAll('{{version}}', version)}` : ''}; up to ${health.retries + 1} attempts`,
    ],
  });
}

/** The smoke suite against `version`, when one is configured (none: no step). */
export function smokeStep(config: EnvironmentConfig, version: string): PlanStep[] {
  if (!config.smoke) return [];
  return [step({ id: 'smoke', kind: 'smoke', phase: 'verify', title: `smoke suite against ${version}`, params: { version }, effects: [`run ${config.smoke.suite}: steps in order, cleanup always`] })];
}

/** The running release's p95 latency, measured before the deploy: what the watch compares with. */
export function baselineMetricsStep(watch: WatchSettings, version: string): PlanStep {
  return step({ id: 'baseline-metrics', kind: 'baseline-metrics', phase: 'preflight', title: `baseline p95 latency of ${version}`, params: { version }, effects: [`measure through ${watch.source.type}`] });
}

/** The watch window after activation: the release is judged on its metrics before it is marked good. */
export function watchStep(watch: WatchSettings, version: string): PlanStep {
  return step({
    id: 'watch',
    kind: 'watch',
    phase: 'verify',
    title: `watch ${version} for ${Math.round(watch.windowMs / 1000)} s`,
    params: { version },
    effects: [
      `every ${watch.intervalMs / 1000} s through ${watch.source.type}: error rate > ${watch.errorRateThreshold * 100} % fails; p95 > ${watch.latencyFactor} × baseline fails (twice)`,
      'a failed metric rolls back by itself; source errors or no data pause for a human (no rollback)',
    ],
  });
}

/**
 * After a rollback: the restored release watched for `windowMs` (watch.afterRollbackMs or `rollback
 * --watch`). It runs after rollback-complete, so the ledger already says what serves; its verdict is
 * the evidence for the checklist's "monitor for 30 minutes" and "metrics normalized". There is no
 * baseline to compare latency with (the release rolled back from was the bad one): error rate only.
 */
export function postRollbackWatchStep(watch: WatchSettings, version: string, windowMs: number): PlanStep {
  return step({
    id: 'post-rollback-watch',
    kind: 'watch',
    phase: 'verify',
    title: `watch ${version} for ${Math.round(windowMs / 1000)} s after the rollback`,
    params: { version, windowMs, afterRollback: true },
    effects: [
      `every ${watch.intervalMs / 1000} s through ${watch.source.type}: error rate > ${watch.errorRateThreshold * 100} % fails (no baseline: latency is not judged)`,
      'a failed or paused watch fails the rollback (the release stays in place: there is nothing older to go back to by itself); service is not counted restored',
    ],
  });
}
