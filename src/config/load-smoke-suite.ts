import { readFileSync } from 'node:fs';
import { RewindError } from '../errors/rewind-error.js';
import { redactor } from '../util/redact.js';
import { interpolateEnv } from './interpolate.js';
import { parseYaml } from './parse-yaml.js';
import { formatIssue } from './describe-issue.js';
import { PROTOTYPE_KEY_PROBLEM, prototypeKeyPaths } from './prototype-keys.js';
import { smokeSuiteSchema, type SmokeSuite } from './parts/smoke-schema.js';

/**
 * Reads and validates a smoke suite file. `${VAR}` is resolved here, with the same rules as the
 * config (secret-looking names are registered for redaction); `{{name}}` is left for the runner.
 * Errors are coded and name the file and the key path.
 */
export function loadSmokeSuite(path: string, env: NodeJS.ProcessEnv = process.env): SmokeSuite {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`;
    throw new RewindError('REWIND_E_SMOKE_SUITE_NOT_FOUND', `the smoke suite file ${path} ${why}`, { path });
  }
  // The config's YAML rules (one document, unique keys, the alias budget), errors naming the suite.
  const document = parseYaml(text, path, `smoke suite ${path}`);
  const { value, secrets } = interpolateEnv(document ?? {}, env);
  const prototypeKeys = prototypeKeyPaths(value).map((keyPath) => `${keyPath}: ${PROTOTYPE_KEY_PROBLEM}`);
  if (prototypeKeys.length) throw new RewindError('REWIND_E_CONFIG_INVALID', `invalid smoke suite ${path}:\n  ${prototypeKeys.join('\n  ')}`, { path, problems: prototypeKeys });
  const parsed = smokeSuiteSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => formatIssue(issue, { schema: smokeSuiteSchema, input: value, text }));
    throw new RewindError('REWIND_E_CONFIG_INVALID', `invalid smoke suite ${path}:\n  ${problems.join('\n  ')}`, { path, problems });
  }
  for (const secret of secrets) redactor.add(secret);
  return parsed.data;
}
