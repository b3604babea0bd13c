import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** util-linux's setpriv (Essential on Debian, present on every mainstream Linux distribution). */
const SETPRIV = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The program as execvp would find it (relative paths against `cwd`), or null when it would not. */
function onPath(program: string, path: string | undefined, cwd: string | undefined): string | null {
  if (isAbsolute(program)) return executable(program) ? program : null;
  if (program.includes('/')) return executable(join(cwd ?? process.cwd(), program)) ? program : null;
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir && executable(join(dir, program))) return join(dir, program);
  }
  return null;
}

/**
 * Starts a child that cannot outlive rewind and does not share its terminal's signals:
 * - the kernel SIGKILLs it the moment rewind dies, SIGKILL included (setpriv sets the child's
 *   parent-death signal before it execs the program), so a psql killed with its parent releases
 *   its transaction's locks at once instead of waiting for ever on a pipe only rewind writes;
 * - it runs in its own session, so the Ctrl-C a person gives rewind reaches rewind alone, which
 *   stops at the next safe point while the step in flight (a dump, a restore) finishes.
 * A program that is not found is spawned as it is, so it fails with ENOENT as a plain spawn does.
 * Where setpriv is missing (not Linux), the child only gets its own session.
 */
export function spawnChild(program: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const resolved = SETPRIV ? onPath(program, (options.env ?? process.env).PATH, options.cwd?.toString()) : null;
  if (!resolved) return spawn(program, args, { ...options, detached: true });
  return spawn(SETPRIV!, ['--pdeathsig', 'KILL', '--', resolved, ...args], { ...options, detached: true });
}
