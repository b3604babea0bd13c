import { posix } from 'node:path';
import type { CommandSpec } from '../../../ports/executor.js';
import type { RuntimeContext } from '../../../ports/runtime.js';
import type { Pm2RuntimeConfig } from './pm2-config.js';

// What the PM2 runtime of a fleet runs on a host: the `pm2` command line (PM2's API lives in the
// process that loads it, so it cannot reach another machine), as argv arrays through the Executor
// the fleet hands it (each runs on the host over ssh). Builders and the parser of what the host
// answered, tested without a host. Paths are the host's: POSIX.

/** The `pm2` command on the hosts when the config names none: found on the login PATH. */
export const DEFAULT_PM2_BIN = 'pm2';

/** The app declaration file rewind writes next to `current` and hands to `pm2 startOrReload`. */
export function ecosystemPath(context: RuntimeContext, name: string): string {
  return posix.join(posix.dirname(context.currentDir), `.rewind-pm2-${name}.json`);
}

/** The PM2 app declaration (what the local runtime hands PM2's API), as the ecosystem file holds it. */
export function appDeclaration(config: Pm2RuntimeConfig, context: RuntimeContext): Record<string, unknown> {
  return {
    name: config.name,
    script: posix.join(context.currentDir, config.script),
    cwd: context.currentDir,
    exec_mode: config.execMode,
    instances: config.instances,
    env: config.env,
    listen_timeout: config.listenTimeoutMs,
    kill_timeout: config.killTimeoutMs,
    autorestart: true,
    // Crash loops of a bad release should not hide behind endless restarts while health is judged.
    max_restarts: 10,
    min_uptime: 1000,
  };
}

/**
 * Writes the ecosystem file (mode 600: it holds runtime.env) under a temporary name and renames it
 * into place. A fixed script; the path and the JSON are its positional parameters.
 */
export function writeEcosystemArgv(path: string, json: string): string[] {
  return ['sh', '-c', 'umask 077 && printf "%s\\n" "$2" > "$1.tmp-$$" && mv -f "$1.tmp-$$" "$1"', 'sh', path, json];
}

/**
 * What runs on a host, in one round trip and without PM2's client (a `pm2` command is a Node
 * process, about a second on a busy host, and `pm2 jlist` would start a daemon, printing its
 * banner): whether PM2_HOME's daemon lives; each process it forked, with its working directory
 * (Linux /proc: a process started before a link switch still shows the release it runs) and the
 * app it was started as (PM2 hands a cluster worker its description as JSON in `pm2_env`, a fork
 * process `name` and `pm_id`); where `current` resolves now. `list`: also `pm2 jlist` (every app
 * of the daemon, stopped ones too), which is also what a host without /proc gets.
 */
export function probeArgv(bin: string, currentDir?: string, list = false): string[] {
  return [
    'sh',
    '-c',
    `h="\${PM2_HOME:-$HOME/.pm2}"
p=$(cat "$h/pm2.pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null || { echo daemon:; exit 0; }
printf 'daemon:%s\\n' "$p"
[ -z "$2" ] || printf 'current:%s\\n' "$(readlink -f -- "$2" 2>/dev/null)"
if [ -d "/proc/$p/task" ]; then
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
    d=$(readlink "/proc/$c/cwd" 2>/dev/null) || continue
    printf 'cwd:%s %s\\n' "$c" "$d"
    tr '\\000' '\\n' < "/proc/$c/environ" 2>/dev/null | grep -E '^(pm2_env|name|pm_id)=' | sed "s/^/env:$c /"
  done
else echo noproc:; fi
[ "$3" = list ] || [ ! -d "/proc/$p/task" ] || exit 0
out=$("$1" jlist) || { printf '%s\\n' "$out" >&2; exit 1; }
printf 'jlist:%s\\n' "$(printf '%s\\n' "$out" | grep '^\\[' | tail -n 1)"
exit 0`,
    'sh',
    bin,
    currentDir ?? '',
    list ? 'list' : '',
  ];
}

/** A live process of the app on the host. */
export interface Pm2LiveProcess {
  pid: number;
  /** The real directory it runs from. */
  dir: string;
}

export interface Pm2HostView {
  /** Whether PM2_HOME's daemon runs. */
  daemon: boolean;
  /** False where the host has no /proc: what runs is known from `pm2 jlist` alone, and served directories cannot be told. */
  procfs: boolean;
  /** The app's live processes (from /proc). */
  live: Pm2LiveProcess[];
  /** `pm2 jlist`, when it was asked for: every app of the daemon, by name, with its status. */
  listed: { name: string; status: string }[] | null;
  /** Where `current` resolved to, when asked. */
  current: string | null;
}

/** Parses what probeArgv printed (throws on a jlist that is not JSON: pm2 said something unexpected). */
export function parseProbe(stdout: string, name: string): Pm2HostView {
  const view: Pm2HostView = { daemon: false, procfs: true, live: [], listed: null, current: null };
  const dirs = new Map<number, string>();
  const environ = new Map<number, Map<string, string>>();
  for (const line of stdout.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const [key, value] = [line.slice(0, colon), line.slice(colon + 1)];
    const space = value.indexOf(' ');
    if (key === 'daemon') view.daemon = value !== '';
    else if (key === 'noproc') view.procfs = false;
    else if (key === 'current') view.current = value || null;
    else if (key === 'cwd' && space > 0) {
      // Linux marks a working directory removed since with " (deleted)": the process still runs that release.
      dirs.set(Number(value.slice(0, space)), value.slice(space + 1).replace(/ \(deleted\)$/, ''));
    } else if (key === 'env' && space > 0) {
      const pid = Number(value.slice(0, space));
      const entry = value.slice(space + 1);
      const equals = entry.indexOf('=');
      if (!environ.has(pid)) environ.set(pid, new Map());
      environ.get(pid)!.set(entry.slice(0, equals), entry.slice(equals + 1));
    } else if (key === 'jlist') {
      const parsed = JSON.parse(value) as unknown;
      if (!Array.isArray(parsed)) throw new Error('pm2 jlist did not print a list');
      view.listed = (parsed as { name?: unknown; pm2_env?: { status?: unknown } }[])
        .filter((p) => typeof p?.name === 'string')
        .map((p) => ({ name: p.name as string, status: typeof p.pm2_env?.status === 'string' ? p.pm2_env.status : 'unknown' }));
    }
  }
  for (const [pid, dir] of dirs) if (appOf(environ.get(pid)) === name) view.live.push({ pid, dir });
  return view;
}

/** The app a process PM2 forked was started as: `pm2_env` (cluster worker), or `name` with `pm_id` (fork). */
function appOf(env: Map<string, string> | undefined): string | null {
  if (!env) return null;
  const cluster = env.get('pm2_env');
  if (cluster !== undefined) {
    try {
      const name = (JSON.parse(cluster) as { name?: unknown }).name;
      return typeof name === 'string' ? name : null;
    } catch {
      return null;
    }
  }
  return env.has('pm_id') ? (env.get('name') ?? null) : null;
}

/** A `pm2` command for the host, with PM2_HOME when the config names one (else the login user's ~/.pm2). */
export function pm2Spec(config: Pm2RuntimeConfig, argv: readonly string[], timeoutMs: number): CommandSpec {
  return { argv, timeoutMs, ...(config.pm2Home ? { env: { PM2_HOME: config.pm2Home } } : {}) };
}

/** PM2's colours and its `[PM2]` prefixes, off what an Outcome quotes. */
export function plainPm2Output(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').trim();
}
