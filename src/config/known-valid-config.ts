import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { RewindError } from '../errors/rewind-error.js';
import { nullPrototypeRecord } from '../util/own-property.js';
import { redactor } from '../util/redact.js';
import { interpolateEnv } from './interpolate.js';
import { parseYaml } from './parse-yaml.js';
import { readConfigFile } from './read-config-file.js';
import { isKnownValidConfig } from './validated-config-stamp.js';

export const DEFAULT_LEDGER = './rewind.db';
/** drills.maxAgeDays when not given: seeds 002 and 004 say practise rollbacks quarterly. */
export const DEFAULT_DRILL_MAX_AGE_DAYS = 90;

/** A SQLite ledger path relative to the config file becomes absolute; a postgres:// URL is kept. */
export function resolveLedger(ledger: string, baseDir: string): string {
  return /^postgres(ql)?:\/\//.test(ledger) || isAbsolute(ledger) ? ledger : resolve(baseDir, ledger);
}

export function unknownEnvironment(env: string, names: string[]): RewindError {
  const known = names.join(', ');
  return new RewindError('REWIND_E_UNKNOWN_ENV', `environment ${JSON.stringify(env)} is not defined in rewind.yaml (known: ${known})`, { env, known });
}

/** The target section of a config document that passed validation (before defaults and path resolution). */
export interface KnownValidTarget {
  type: string;
  path: string;
  slots?: unknown;
  runtime: { type: string; name?: string; pm2Home?: string };
}

/** What `status` reads from a config it need not validate again. */
export interface KnownValidConfig {
  ledger: string;
  /**
   * Environment name → whether it has `traffic:` (then status loads the full config for the slots),
   * and its target section as written (the target's adapter reads what it runs from it). No prototype: looked up by argv.
   */
  environments: Record<string, { traffic: boolean; target: KnownValidTarget }>;
  /** drills.maxAgeDays (status warns past it). */
  drillMaxAgeDays: number;
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
    const document = value as { ledger?: string; drills?: { maxAgeDays?: number }; environments: Record<string, { traffic?: unknown; target: KnownValidTarget }> };
    const ledger = resolveLedger(document.ledger ?? DEFAULT_LEDGER, dirname(path));
    redactor.addUrlPassword(ledger);
    const environments = Object.entries(document.environments).map(([name, e]) => [name, { traffic: e.traffic !== undefined, target: e.target }] as const);
    return { ledger, environments: nullPrototypeRecord(environments), drillMaxAgeDays: document.drills?.maxAgeDays ?? DEFAULT_DRILL_MAX_AGE_DAYS };
  } catch {
    return null;
  }
}
