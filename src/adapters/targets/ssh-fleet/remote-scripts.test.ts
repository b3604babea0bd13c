import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RELEASE_MARKER } from '../../../artifacts/artifact-tree.js';
import type { CommandSpec, Executor } from '../../../ports/executor.js';
import { parseActivation, REMOTE_EXIT, switchAndActivateArgv, type ActivationLines } from './remote-scripts.js';
import { quoteArgv } from './shell-quote.js';
import { SshConnection } from './ssh-connection.js';

// The one-round-trip activation script, run by a real sh exactly as a host's login shell runs what
// ssh sends it (the quoted argv as one command string), against a real deploy root: where `current`
// points afterwards, which runtime commands ran (each appends its name to a log), the exit code and
// the stderr that comes back are asserted.

const noExecutor: Executor = { run: () => Promise.reject(new Error('not used')) };
const connection = new SshConnection({ name: 'web1', address: '127.0.0.1', port: 22, root: '/srv/app' }, { knownHosts: '/dev/null', hostKeyPolicy: 'strict', connectTimeoutSec: 5, commandTimeoutMs: 30_000 }, '/tmp/c', noExecutor);

describe('switchAndActivateArgv: link, status, reload or start in one script', () => {
  let root: string;
  let log: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rewind-switch-activate-'));
    log = join(root, 'ran.log');
    for (const version of ['1.0.0', '2.0.0']) {
      mkdirSync(join(root, 'releases', version), { recursive: true });
      writeFileSync(join(root, 'releases', version, RELEASE_MARKER), '{}');
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A runtime command as the command runtime builds it (cwd = current), which logs its name and its arguments, then exits `code`. */
  const command = (name: string, code: number, ...args: string[]): CommandSpec => ({
    argv: ['sh', '-c', 'printf "%s %s\\n" "$0" "$*" >> "$LOG"; echo "$0 says" >&2; exit "$1"', name, String(code), ...args],
    cwd: join(root, 'current'),
    env: { LOG: log },
  });
  const lines = (commands: { check?: CommandSpec; start: CommandSpec; reload: CommandSpec }): ActivationLines => ({
    ...(commands.check ? { check: connection.remoteCommandLine(commands.check) } : {}),
    start: connection.remoteCommandLine(commands.start),
    reload: connection.remoteCommandLine(commands.reload),
  });
  const run = (version: string, commands: { check?: CommandSpec; start: CommandSpec; reload: CommandSpec }) => {
    const result = spawnSync('sh', ['-c', quoteArgv(switchAndActivateArgv(root, version, lines(commands)))], { encoding: 'utf8' });
    return { code: result.status, ...parseActivation(result.stderr), ran: existsSync(log) ? readFileSync(log, 'utf8') : '' };
  };

  it('switches the link, runs the status, then reload when it exits 0; the exit code is reload\'s', () => {
    const result = run('2.0.0', { check: command('status', 0), start: command('start', 0), reload: command('reload', 3) });
    expect(readlinkSync(join(root, 'current'))).toBe('releases/2.0.0');
    expect(result).toMatchObject({ code: 3, linked: true, action: 'reload', ran: 'status 0\nreload 3\n' });
    // The runtime's stderr comes back without the script's own lines; the status's is discarded.
    expect(result.stderr.trim()).toBe('reload says');
  });

  it('runs start when the status exits non-zero, and reload when there is no status', () => {
    expect(run('1.0.0', { check: command('status', 1), start: command('start', 0), reload: command('reload', 0) })).toMatchObject({ code: 0, linked: true, action: 'start', ran: 'status 1\nstart 0\n' });
    rmSync(log);
    expect(run('2.0.0', { start: command('start', 0), reload: command('reload', 0) })).toMatchObject({ code: 0, linked: true, action: 'reload', ran: 'reload 0\n' });
    expect(readlinkSync(join(root, 'current'))).toBe('releases/2.0.0');
  });

  it('a release that is not unpacked: the switch\'s own exit code, the link untouched, no runtime command run', () => {
    run('1.0.0', { start: command('start', 0), reload: command('reload', 0) });
    rmSync(log);
    const result = run('3.0.0', { check: command('status', 0), start: command('start', 0), reload: command('reload', 0) });
    expect(result).toMatchObject({ code: REMOTE_EXIT.notPrepared, linked: false, action: null, ran: '' });
    expect(readlinkSync(join(root, 'current'))).toBe('releases/1.0.0');
  });

  it('hands every argument to the runtime command as one word, whatever it holds (nothing runs that the argv does not say)', () => {
    const hostile = ["it's", '$(touch pwned)', '`touch pwned2`', 'a b; rm -rf /', '"$HOME"'];
    const result = run('2.0.0', { start: command('start', 0), reload: command('reload', 0, ...hostile) });
    expect(result).toMatchObject({ code: 0, action: 'reload', ran: `reload 0 ${hostile.join(' ')}\n` });
    expect(existsSync(join(root, 'current', 'pwned'))).toBe(false);
    expect(existsSync(join(root, 'current', 'pwned2'))).toBe(false);
  });
});
