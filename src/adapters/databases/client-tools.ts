import { statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { PipelineResult } from '../../ports/executor.js';
import { redactor } from '../../util/redact.js';

/** The engines' client programs (pg_dump, mariadb-dump, …): finding them, and their failures as one readable line. */

/** `name` inside `binDir`, or the first match on PATH; undefined when it is nowhere. */
export function findTool(name: string, binDir?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = binDir ? [binDir] : (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The first of several names that exists (mariadb-dump before mysqldump); the first name when none does, so the error names it. */
export function pickTool(names: readonly string[], binDir?: string): string {
  for (const name of names) {
    const found = findTool(name, binDir);
    if (found) return found;
  }
  return binDir ? join(binDir, names[0]!) : names[0]!;
}

/** A failed pipeline as one readable, redacted line per stage that failed. */
export function pipelineFailure(result: PipelineResult, secrets: readonly string[] = []): string {
  const lines = result.stages
    .map((stage, index) => ({ stage, index }))
    .filter(({ stage }) => stage.exitCode !== 0)
    .map(({ stage, index }) => {
      const why = stage.timedOut ? 'timed out' : stage.signal ? `killed by ${stage.signal}` : `exit ${stage.exitCode}`;
      return `stage ${index + 1} ${why}: ${stage.stderr.trim().split(/[\r\n]+/).slice(-5).join(' / ') || '(no stderr)'}`;
    });
  let text = lines.join('; ') || 'pipeline failed';
  for (const secret of secrets) if (secret) text = text.split(secret).join('***');
  return redactor.redact(text);
}
