import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { resolveAdapterPaths } from '../adapters/registry.js';
import { RewindError } from '../errors/rewind-error.js';
import { nullPrototypeRecord, ownValue } from '../util/own-property.js';
import { redactor } from '../util/redact.js';
import { configSchema, type RewindConfig } from './config-schema.js';
import { configSecretValues } from './config-secrets.js';
import { formatIssue } from './describe-issue.js';
import { interpolateEnv } from './interpolate.js';
import { parseYaml } from './parse-yaml.js';
import { readConfigFile } from './read-config-file.js';
import { PROTOTYPE_KEY_PROBLEM, prototypeKeyPaths } from './prototype-keys.js';
import { resolveLedger, unknownEnvironment } from './known-valid-config.js';
import { recordValidConfig } from './validated-config-stamp.js';

export { DEFAULT_CONFIG_FILE, resolveConfigPath } from './config-path.js';

export interface LoadedConfig {
  config: RewindConfig;
  /** Absolute path of the file that was read. */
  path: string;
}

/** Reads, interpolates and validates a config file. Relative paths in it are relative to the file. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  if (!existsSync(path)) {
    throw new RewindError('REWIND_E_CONFIG_NOT_FOUND', `config file ${path} does not exist`, { path });
  }
  return { config: parseConfigText(readConfigFile(path), dirname(path), env, path), path };
}

/** `path`, when given, is where the file was read: errors name it, and a valid config is remembered for `status` (validated-config-stamp.ts). */
export function parseConfigText(text: string, baseDir: string, env: NodeJS.ProcessEnv = process.env, path?: string): RewindConfig {
  const { value, secrets } = interpolateEnv(parseYaml(text, path) ?? {}, env);
  const prototypeKeys = prototypeKeyPaths(value).map((keyPath) => `${keyPath}: ${PROTOTYPE_KEY_PROBLEM}`);
  if (prototypeKeys.length) throw new RewindError('REWIND_E_CONFIG_INVALID', `invalid config:\n  ${prototypeKeys.join('\n  ')}`, { problems: prototypeKeys });
  // jitless: zod's JIT generates and compiles a parser per object schema on its first parse, which
  // only pays off over many parses; a CLI process validates its config once, ~4 ms faster without.
  // The checks and the issues are the same either way.
  const parsed = configSchema.safeParse(value, { reportInput: true, jitless: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => formatIssue(issue, { schema: configSchema, input: value, text }));
    throw new RewindError('REWIND_E_CONFIG_INVALID', `invalid config:\n  ${problems.join('\n  ')}`, { problems });
  }
  for (const secret of secrets) redactor.add(secret);
  if (path) recordValidConfig(path, value, env);
  const config = parsed.data;
  for (const secret of configSecretValues(config)) redactor.add(secret);
  return resolvePaths(config, baseDir);
}

function resolvePaths(config: RewindConfig, baseDir: string): RewindConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  for (const [envName, envConfig] of Object.entries(config.environments)) {
    // Target, runtime and database paths: each adapter's definition knows its own.
    resolveAdapterPaths(envConfig, { env: envName, baseDir, abs });
    if (envConfig.smoke) envConfig.smoke.suite = abs(envConfig.smoke.suite);
    if (envConfig.flags?.file) envConfig.flags.file = abs(envConfig.flags.file);
  }
  // Looked up by names from argv and the ledger: a record without a prototype has no `constructor`.
  const environments = nullPrototypeRecord(Object.entries(config.environments));
  const ledger = resolveLedger(config.ledger, baseDir);
  const incidents = config.incidents?.changelog ? { ...config.incidents, changelog: { ...config.incidents.changelog, path: abs(config.incidents.changelog.path) } } : config.incidents;
  return { ...config, environments, ledger, ...(incidents ? { incidents } : {}), log: { file: abs(config.log.file) }, artifacts: { store: abs(config.artifacts.store ?? defaultArtifactStore(ledger, baseDir)) } };
}

/** rewind-artifacts/ beside a SQLite ledger file; a postgres:// ledger has no "beside", so beside the config file. */
export function defaultArtifactStore(ledger: string, baseDir: string): string {
  return join(/^postgres(ql)?:\/\//.test(ledger) ? baseDir : dirname(ledger), 'rewind-artifacts');
}

/** The artifact store's directory (always set once the config's paths are resolved). */
export function artifactStoreDir(config: RewindConfig): string {
  const store = config.artifacts?.store;
  if (!store) throw new Error('artifacts.store is set when the config is loaded (loadConfig/parseConfigText); this config was not');
  return store;
}

/** The environment named on the command line (or in the ledger); REWIND_E_UNKNOWN_ENV unless rewind.yaml defines it. */
export function environmentConfig(config: RewindConfig, env: string) {
  const found = ownValue(config.environments, env);
  if (!found) throw unknownEnvironment(env, Object.keys(config.environments));
  return found;
}
