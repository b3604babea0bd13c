import { runSmokeSuite } from '../adapters/checks/smoke-runner.js';
import type { SmokeSettings } from '../config/parts/check-settings.js';
import type { Outcome } from '../ports/outcome.js';
import type { ProgressReporter } from '../ports/step-progress.js';

/**
 * The Services hook for smoke: load the environment's suite file (config reads and validates it),
 * then run it against `version` (the adapter only runs suites). Composed here because it joins the
 * two layers, config above the adapters.
 */
export async function runSmoke(config: SmokeSettings, version: string, progress?: ProgressReporter): Promise<Outcome> {
  const { loadSmokeSuite } = await import('../config/load-smoke-suite.js');
  return runSmokeSuite(loadSmokeSuite(config.suite), { version, baseUrl: config.baseUrl, timeoutMs: config.timeoutMs, progress });
}
