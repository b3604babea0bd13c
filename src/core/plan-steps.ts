import type { EnvironmentConfig } from '../config/config-schema.js';
import type { SlotState } from '../ports/target.js';
import type { PlanStep } from './plan.js';
import { urlWithoutPassword } from '../util/url-credentials.js';
import { urlOnSlot } from './traffic/slot-choice.js';

/** Step builders shared by the planners (plain data, no I/O). */

export const step = (s: Omit<PlanStep, 'commands' | 'effects'> & Partial<Pick<PlanStep, 'commands' | 'effects'>>): PlanStep => ({
  commands: [],
  effects: [],
  ...s,
});

/** A health probe of `version`; with `slot`, sent to that slot directly instead of through the router. */
export function healthStep(id: string, config: EnvironmentConfig, version: string, phase: PlanStep['phase'], slot?: SlotState): PlanStep {
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


export function smokeStep(config: EnvironmentConfig, version: string): PlanStep[] {
  if (!config.smoke) return [];
  return [step({ id: 'smoke', kind: 'smoke', phase: 'verify', title: `smoke suite against ${version}`, params: { version }, effects: [`run ${config.smoke.suite}: steps in order, cleanup always`] })];
}
