import { readFileSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CORE_SCHEMA, EVENT_ID, YAML11_SCHEMA, YAMLException, constructFromEvents, parseEvents } from 'js-yaml';
import type { z } from 'zod';
import { RewindError } from '../errors/rewind-error.js';
import { redactor } from '../util/redact.js';
import { configSchema, type RewindConfig } from './config-schema.js';
import { interpolateEnv } from './interpolate.js';

export const DEFAULT_CONFIG_FILE = 'rewind.yaml';

export interface LoadedConfig {
  config: RewindConfig;
  /** Absolute path of the file that was read. */
  path: string;
}

export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.REWIND_CONFIG ?? DEFAULT_CONFIG_FILE);
}

/** Reads, interpolates and validates a config file. Relative paths in it are relative to the file. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  if (!existsSync(path)) {
    throw new RewindError('REWIND_E_CONFIG_NOT_FOUND', `config file ${path} does not exist`, { path });
  }
  return { config: parseConfigText(readFileSync(path, 'utf8'), dirname(path), env), path };
}

export function parseConfigText(text: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): RewindConfig {
  const { value, secrets } = interpolateEnv(parseYaml(text) ?? {}, env);
  // jitless: zod's JIT generates and compiles a parser per object schema on its first parse, which
  // only pays off over many parses; a CLI process validates its config once, ~4 ms faster without.
  // The checks and the issues are the same either way.
  const parsed = configSchema.safeParse(value, { reportInput: true, jitless: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(formatIssue);
    throw new RewindError('REWIND_E_CONFIG_INVALID', `invalid config:\n  ${problems.join('\n  ')}`, { problems });
  }
  for (const secret of secrets) redactor.add(secret);
  const config = parsed.data;
  redactor.addUrlPassword(config.ledger);
  return resolvePaths(config, baseDir);
}

/**
 * One YAML 1.2 document (core schema; a `%YAML 1.1` directive selects 1.1), duplicate keys refused.
 * js-yaml rather than the `yaml` package because every command reads the config first: on a cold
 * start `yaml` costs ~15 ms more to compile and warm up for a file of this size.
 */
function parseYaml(text: string): unknown {
  try {
    const events = parseEvents(text, {});
    const documents = events.flatMap((event, index) => (event.type === EVENT_ID.DOCUMENT ? [{ event, index }] : []));
    if (documents.length > 1) {
      // The position of the second document's first node (its `---` line has no offset of its own).
      const node = events.slice(documents[1]!.index).find((event) => 'start' in event || 'valueStart' in event);
      const offset = node && ('start' in node ? node.start : 'valueStart' in node ? node.valueStart : undefined);
      throw yamlError('the file holds more than one YAML document (one is expected)', offset === undefined ? undefined : lineAndColumn(text, offset));
    }
    const first = documents[0]?.event;
    const yaml11 = first?.type === EVENT_ID.DOCUMENT && first.directives.some((d) => d.kind === 'yaml' && d.version === '1.1');
    return constructFromEvents(events, { source: text, schema: yaml11 ? YAML11_SCHEMA : CORE_SCHEMA })[0];
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const reason = error.reason === 'duplicated mapping key' ? 'duplicated mapping key (map keys must be unique)' : error.reason;
    throw yamlError(reason, error.mark ? { line: error.mark.line + 1, column: error.mark.column + 1 } : undefined);
  }
}

function yamlError(reason: string, at: { line: number; column: number } | undefined): RewindError {
  const where = at ? `line ${at.line}, column ${at.column}` : 'unknown position';
  return new RewindError('REWIND_E_CONFIG_YAML', `rewind.yaml is not valid YAML (${where}): ${reason}`, { line: at?.line, column: at?.column });
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** One line per problem: `environments.production.target.path: required`. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${path}: required`;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${path === '(root)' ? key : `${path}.${key}`}: unknown key`).join('; ');
  }
  return `${path}: ${issue.message}`;
}

function resolvePaths(config: RewindConfig, baseDir: string): RewindConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const isUrl = /^postgres(ql)?:\/\//.test(config.ledger);
  for (const [envName, envConfig] of Object.entries(config.environments)) {
    envConfig.target.path = abs(envConfig.target.path);
    const database = envConfig.database;
    if (database) {
      database.backupDir = abs(database.backupDir ?? join('backups', envName));
      database.backupLog = abs(database.backupLog);
      if (database.engine === 'sqlite') database.path = abs(database.path);
      else {
        redactor.addUrlPassword(database.url);
        if (database.binDir) database.binDir = abs(database.binDir);
        if (database.engine === 'postgres' && database.pitr) {
          const pitr = database.pitr;
          pitr.archiveDir = abs(pitr.archiveDir);
          pitr.baseBackupDir = abs(pitr.baseBackupDir ?? join(database.backupDir, 'base'));
          pitr.restoreDir = abs(pitr.restoreDir ?? join(database.backupDir, 'pitr'));
        }
      }
      // The apply command's environment carries DATABASE_URL and the like: every value is a secret.
      for (const value of Object.values(database.migrations?.env ?? {})) {
        if (value.length >= 4) redactor.add(value);
        redactor.addUrlPassword(value);
      }
    }
    if (envConfig.smoke) envConfig.smoke.suite = abs(envConfig.smoke.suite);
    const runtime = envConfig.target.runtime;
    if (runtime.type === 'pm2' && runtime.pm2Home) runtime.pm2Home = abs(runtime.pm2Home);
    if (envConfig.health) {
      for (const value of Object.values(envConfig.health.headers)) redactor.add(value);
      redactor.addUrlPassword(envConfig.health.url);
    }
  }
  return { ...config, ledger: isUrl ? config.ledger : abs(config.ledger), log: { file: abs(config.log.file) } };
}

export function environmentConfig(config: RewindConfig, env: string) {
  const found = config.environments[env];
  if (!found) {
    const known = Object.keys(config.environments).join(', ');
    throw new RewindError('REWIND_E_UNKNOWN_ENV', `environment ${JSON.stringify(env)} is not defined in rewind.yaml (known: ${known})`, { env, known });
  }
  return found;
}
