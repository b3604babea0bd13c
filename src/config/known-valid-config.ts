import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { RewindError } from '../errors/rewind-error.js';
import { nullPrototypeRecord } from '../util/own-property.js';
import { redactor } from '../util/redact.js';
import { interpolateEnv } from './interpolate.js';
import { parseYaml } from './parse-yaml.js';
import { readConfigFile } from './read-config-file.js';
import { isKnownValidConfig } from './validated-config-stamp.js';

export const DEFAULT_LEDGER = './rewind.db';

/** A SQLite ledger path relative to the config file becomes absolute; a postgres:// URL is kept. */
export function resolveLedger(ledger: string, baseDir: string): string {
  return /^postgres(ql)?:\/\//.test(ledger) || isAbsolute(ledger) ? ledger : resolve(baseDir, ledger);
}

export function unknownEnvironment(env: string, names: string[]): RewindError {
  const known = names.join(', ');
  return new RewindError('REWIND_E_UNKNOWN_ENV', `environment ${JSON.stringify(env)} is not defined in rewind.yaml (known: ${known})`, { env, known });
}

/** What `status` reads from a config it need not validate again. */
export interface KnownValidConfig {
  ledger: string;
  /** Environment name → whether it has `traffic:` (then status loads the full config for the slots), and where to look at what it runs. No prototype: looked up by argv. */
  environments: Record<string, { traffic: boolean; observe: ObservedTarget }>;
}

/** Where `status` looks at what a releases target runs: its link, and (PM2) the app's processes. */
export interface ObservedTarget {
  path: string;
  pm2?: { home: string; name: string };
}

/** The observed slice of a target's config, resolved as load-config resolves it (relative to the file; PM2's default home). */
export function observedTarget(target: { path: string; slots?: unknown; runtime: { type: string; name?: string; pm2Home?: string } }, baseDir: string, env: NodeJS.ProcessEnv = process.env): ObservedTarget {
  const path = isAbsolute(target.path) ? target.path : resolve(baseDir, target.path);
  const { runtime } = target;
  // Slotted targets run one app per slot, both legitimately serving: status shows the slots instead.
  if (runtime.type !== 'pm2' || !runtime.name || target.slots !== undefined) return { path };
  const home = runtime.pm2Home ? (isAbsolute(runtime.pm2Home) ? runtime.pm2Home : resolve(baseDir, runtime.pm2Home)) : (env.PM2_HOME ?? join(env.HOME || homedir(), '.pm2'));
  return { path, pm2: { home, name: runtime.name } };
}

/**
 * The config without the schema library, when this exact interpolated document passed validation
 * before (validated-config-stamp.ts); null when it did not (or is unreadable), so the caller
 * validates in full and reports any problem the usual way.
 */
export function loadKnownValidConfig(path: string, env: NodeJS.ProcessEnv = process.env): KnownValidConfig | null {
  if (!existsSync(path)) return null;
  try {
    const { value, secrets } = interpolateEnv(parseYaml(readConfigFile(path), path) ?? {}, env);
    if (!isKnownValidConfig(path, value, env)) return null;
    for (const secret of secrets) redactor.add(secret);
    const document = value as { ledger?: string; environments: Record<string, { traffic?: unknown; target: Parameters<typeof observedTarget>[0] }> };
    const ledger = resolveLedger(document.ledger ?? DEFAULT_LEDGER, dirname(path));
    redactor.addUrlPassword(ledger);
    const environments = Object.entries(document.environments).map(([name, e]) => [name, { traffic: e.traffic !== undefined, observe: observedTarget(e.target, dirname(path), env) }] as const);
    return { ledger, environments: nullPrototypeRecord(environments) };
  } catch {
    return null;
  }
}
