import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageVersion } from '../util/package-root.js';

/**
 * "This exact config was valid": a digest of the interpolated document (and rewind's version) that
 * passed the schema, kept per config path under ~/.cache/rewind. Validation is a pure function of
 * that document, so a matching digest means validating again would pass. `rewind status` uses it
 * to skip loading the schema library (a third of its cold start); every other command validates in
 * full and refreshes the stamp. The stamp holds a hash only — never a value, so never a secret.
 * REWIND_CONFIG_CACHE=off turns it off; an unwritable cache directory is simply not used.
 */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function stampFile(configPath: string, env: NodeJS.ProcessEnv): string | null {
  if (env.REWIND_CONFIG_CACHE === 'off') return null;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'rewind', 'valid-configs', sha256(configPath).slice(0, 32));
}

function digest(document: unknown): string {
  return sha256(`${packageVersion()}\0${JSON.stringify(document)}`);
}

/** Remembers that `document` (interpolated, before defaults) read from `configPath` is valid. Best effort. */
export function recordValidConfig(configPath: string, document: unknown, env: NodeJS.ProcessEnv = process.env): void {
  const file = stampFile(configPath, env);
  if (!file) return;
  try {
    const value = digest(document);
    if (readStamp(file) === value) return;
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temporary, value, { mode: 0o600 });
    renameSync(temporary, file);
  } catch {
    // A cache: without it status validates in full.
  }
}

/** True when `document` read from `configPath` is byte for byte one that passed validation before. */
export function isKnownValidConfig(configPath: string, document: unknown, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = stampFile(configPath, env);
  return file !== null && readStamp(file) === digest(document);
}

function readStamp(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
