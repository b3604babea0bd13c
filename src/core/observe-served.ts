import type { ServedProcess, Target } from '../ports/target.js';
import type { ResolvedEnvironment } from './resolved-environment.js';
import type { Services } from './services.js';
import { servedByTraffic } from './traffic/served-by-traffic.js';

/**
 * What really serves an environment: behind a router (`traffic:`), the slots that take a share of
 * requests as the router reports it; otherwise the target's own processes. Null when it cannot be
 * told (the router cannot be read, or the runtime cannot say).
 */
export async function observeServed(services: Services, environment: ResolvedEnvironment, target: Target): Promise<ServedProcess[] | null> {
  if (servedBy(environment, target) === 'processes') return (await target.servedVersions?.()) ?? null;
  const router = services.createTrafficRouter(environment.env, environment.config);
  try {
    return servedByTraffic(await target.slots!(), await router.currentWeights());
  } catch {
    return null;
  } finally {
    await router.close();
  }
}

/** Whether `observeServed` reports slots taking traffic or processes. */
export function servedBy(environment: ResolvedEnvironment, target: Target): 'slots' | 'processes' {
  return target.capabilities.trafficSplit && target.slots && environment.config.traffic ? 'slots' : 'processes';
}
