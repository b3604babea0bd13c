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
 * Everything rewind reads about the app on a host, in one round trip, without starting a daemon
 * (`pm2 jlist` would start one, and print its banner): whether PM2_HOME's daemon lives, `pm2 jlist`,
 * then the working directory of each process the daemon forked (Linux /proc; a process started
 * before a link switch still shows the release it runs), and where `current` resolves now.
 */
export function probeArgv(bin: string, currentDir?: string): string[] {
  return [
    'sh',
    '-c',
    `h="\${PM2_HOME:-$HOME/.pm2}"
p=$(cat "$h/pm2.pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null || { echo daemon:; exit 0; }
printf 'daemon:%s\\n' "$p"
out=$("$1" jlist) || { printf '%s\\n' "$out" >&2; exit 1; }
printf 'jlist:%s\\n' "$(printf '%s\\n' "$out" | grep '^\\[' | tail -n 1)"
if [ -d "/proc/$p/task" ]; then
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do printf 'cwd:%s %s\\n' "$c" "$(readlink "/proc/$c/cwd" 2>/dev/null)"; done
else echo noproc:; fi
[ -z "$2" ] || printf 'current:%s\\n' "$(readlink -f -- "$2" 2>/dev/null)"
exit 0`,
    'sh',
    bin,
    currentDir ?? '',
  ];
}

/** One process of the app as `pm2 jlist` lists it. */
export interface Pm2ListedProcess {
  pmId: number;
  /** 0 when it does not run (stopped, errored). */
  pid: number;
  status: string;
  /** The real directory it runs from (/proc), or null when unknown. */
  dir: string | null;
}

export interface Pm2HostView {
  /** Whether PM2_HOME's daemon runs. */
  daemon: boolean;
  /** Every app the daemon holds, by name (a daemon may serve other apps too). */
  appNames: string[];
  /** The processes of this app (PM2's `_old_` workers of a reload in flight are left out). */
  processes: Pm2ListedProcess[];
  /** False where the host has no /proc: served directories cannot be told. */
  procfs: boolean;
  /** Where `current` resolved to, when asked. */
  current: string | null;
}

/** Parses what probeArgv printed (throws on a jlist that is not JSON: pm2 said something unexpected). */
export function parseProbe(stdout: string, name: string): Pm2HostView {
  const view: Pm2HostView = { daemon: false, appNames: [], processes: [], procfs: true, current: null };
  const dirs = new Map<number, string>();
  let listed: unknown[] = [];
  for (const line of stdout.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const [key, value] = [line.slice(0, colon), line.slice(colon + 1)];
    if (key === 'daemon') view.daemon = value !== '';
    else if (key === 'noproc') view.procfs = false;
    else if (key === 'current') view.current = value || null;
    else if (key === 'cwd') {
      const space = value.indexOf(' ');
      // Linux marks a working directory removed since with " (deleted)": the process still runs that release.
      if (space > 0 && value.length > space + 1) dirs.set(Number(value.slice(0, space)), value.slice(space + 1).replace(/ \(deleted\)$/, ''));
    } else if (key === 'jlist') {
      if (!value.trim()) throw new Error('pm2 jlist printed no process list');
      const parsed = JSON.parse(value) as unknown;
      if (!Array.isArray(parsed)) throw new Error('pm2 jlist did not print a list');
      listed = parsed;
    }
  }
  for (const entry of listed as { name?: unknown; pid?: unknown; pm_id?: unknown; pm2_env?: { status?: unknown } }[]) {
    if (typeof entry?.name !== 'string') continue;
    if (!view.appNames.includes(entry.name)) view.appNames.push(entry.name);
    if (entry.name !== name || typeof entry.pm_id !== 'number') continue;
    const pid = typeof entry.pid === 'number' ? entry.pid : 0;
    view.processes.push({ pmId: entry.pm_id, pid, status: typeof entry.pm2_env?.status === 'string' ? entry.pm2_env.status : 'unknown', dir: pid > 0 ? (dirs.get(pid) ?? null) : null });
  }
  return view;
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
