import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import setup, { alive, createPrivateRoot, createTestFileTmpdir, describeLeftovers, findLeftovers, removeLeftovers, type PrivateRoot } from './support/leftover-guard.js';

/*
 * The guard that fails a run leaving files, mounts or processes behind (vitest globalSetup). Each
 * test makes a private root of its own inside this file's TMPDIR, leaves something in it for real,
 * and requires the guard to name it with its test file, and to remove it.
 */

let privateRoot: PrivateRoot | undefined;
afterEach(async () => {
  if (privateRoot) await removeLeftovers(privateRoot, await findLeftovers(privateRoot, { graceMs: 0 }));
  privateRoot = undefined;
});

describe('the leftover guard', () => {
  it('finds nothing in a clean run', async () => {
    privateRoot = createPrivateRoot();
    const fileTmp = createTestFileTmpdir(privateRoot.temp, 'test/clean.test.ts');
    // Like /tmp, another user can use a test file's TMPDIR (PostgreSQL clusters run as postgres).
    execFileSync('/usr/bin/setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sh', '-c', 'mkdir "$1/x" && rmdir "$1/x"', 'sh', fileTmp]);
    expect(await findLeftovers(privateRoot, { graceMs: 0 })).toEqual([]);
    expect(describeLeftovers([])).toBeNull();
  });

  it('names the files and the processes a test file left, with the file, and removes them', async () => {
    privateRoot = createPrivateRoot();
    const fileTmp = createTestFileTmpdir(privateRoot.temp, 'test/untidy.test.ts');
    mkdirSync(join(fileTmp, 'rewind-untidy-abc'));
    writeFileSync(join(privateRoot.temp, 'stray.txt'), 'no test file made this');
    // A server the test started and never stopped: it inherited the test file's TMPDIR.
    const server = spawn('sleep', ['300'], { env: { ...process.env, TMPDIR: fileTmp }, stdio: 'ignore' });
    await vi.waitFor(() => expect(alive(server.pid!)).toBe(true));
    const leftovers = await findLeftovers(privateRoot, { graceMs: 0 });
    expect(describeLeftovers(leftovers)).toBe(
      [
        '  test/untidy.test.ts',
        '    left in TMPDIR: rewind-untidy-abc',
        `    still running: pid ${server.pid}: sleep 300`,
        '  (no test file: the run itself, or a process with another TMPDIR)',
        '    left in TMPDIR: stray.txt',
      ].join('\n'),
    );
    expect(await removeLeftovers(privateRoot, leftovers)).toEqual([]);
    await vi.waitFor(() => expect(server.exitCode !== null || server.signalCode !== null).toBe(true));
    expect(existsSync(privateRoot.root)).toBe(false);
  });

  it('finds a process by its working directory or argv too, and waits for one that is ending by itself', async () => {
    privateRoot = createPrivateRoot();
    const fileTmp = createTestFileTmpdir(privateRoot.temp, 'test/cwd.test.ts');
    // Neither has the root in its environment (this test's own TMPDIR is elsewhere).
    const inCwd = spawn('sleep', ['300'], { cwd: fileTmp, stdio: 'ignore' });
    const inArgv = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300_000)', join(fileTmp, 'server.conf')], { stdio: 'ignore' });
    const ending = spawn('sleep', ['0.3'], { env: { ...process.env, TMPDIR: fileTmp }, stdio: 'ignore' });
    await vi.waitFor(() => expect([inCwd, inArgv, ending].every((child) => alive(child.pid!))).toBe(true));
    const pids = (await findLeftovers(privateRoot, { graceMs: 3000 })).map((leftover) => [leftover.owner, leftover.pid]);
    expect(pids.sort()).toEqual([['test/cwd.test.ts', inCwd.pid], ['test/cwd.test.ts', inArgv.pid]].sort());
    expect(alive(ending.pid!)).toBe(false);
  });

  it('stops a server with SIGTERM first, so that it stops the children that carry no trace of the run (nginx workers)', async () => {
    privateRoot = createPrivateRoot();
    const fileTmp = createTestFileTmpdir(privateRoot.temp, 'test/server.test.ts');
    const pidFile = join(fileTmp, 'worker.pid');
    // A master in the test's TMPDIR whose worker has another cwd and an empty environment, and which stops it on SIGTERM.
    const master = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const worker = spawn('sleep', ['300'], { cwd: '/', env: {}, stdio: 'ignore' });
         require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(worker.pid));
         process.on('SIGTERM', () => { worker.kill(); process.exit(0); });
         setInterval(() => {}, 1000);`,
      ],
      { cwd: fileTmp, stdio: 'ignore' },
    );
    const worker = await vi.waitFor(() => Number(readFileSync(pidFile, 'utf8')));
    try {
      const leftovers = await findLeftovers(privateRoot, { graceMs: 0 });
      expect(leftovers.flatMap((leftover) => leftover.pid ?? [])).toEqual([master.pid]); // and the file worker.pid
      expect(await removeLeftovers(privateRoot, leftovers)).toEqual([]);
      await vi.waitFor(() => expect([alive(master.pid!), alive(worker)]).toEqual([false, false]));
    } finally {
      if (alive(worker)) process.kill(worker, 'SIGKILL');
    }
  });

  it.skipIf(process.getuid?.() !== 0)('names a mount a test left under the root, and unmounts it', async () => {
    privateRoot = createPrivateRoot();
    const fileTmp = createTestFileTmpdir(privateRoot.temp, 'test/mounts.test.ts');
    const point = join(fileTmp, 'disk');
    mkdirSync(point);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'rewind-guard-test', point], { stdio: 'pipe' });
    } catch {
      return; // no CAP_SYS_ADMIN here: nothing to find
    }
    const leftovers = await findLeftovers(privateRoot, { graceMs: 0 });
    expect(describeLeftovers(leftovers)).toBe(['  test/mounts.test.ts', '    left in TMPDIR: disk', `    still mounted: ${point}`].join('\n'));
    expect(await removeLeftovers(privateRoot, leftovers)).toEqual([]);
    expect(existsSync(privateRoot.root)).toBe(false);
  });

  it('as the global set-up: points TMPDIR, the cache and PM2 homes into the root; at teardown fails the run on leftovers, removes them, restores the environment', async () => {
    const before = { TMPDIR: process.env.TMPDIR, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, PM2_HOME: process.env.PM2_HOME };
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const exitCode = process.exitCode;
    try {
      const clean = setup();
      const cleanRoot = join(process.env.TMPDIR!, '..');
      expect([process.env.XDG_CACHE_HOME, process.env.PM2_HOME]).toEqual([join(cleanRoot, 'cache'), join(cleanRoot, 'pm2')]);
      mkdirSync(join(process.env.XDG_CACHE_HOME!, 'rewind'), { recursive: true }); // the cache may be used: no leftover
      await clean();
      expect([process.exitCode, errors.mock.calls, existsSync(cleanRoot)]).toEqual([exitCode, [], false]);

      const untidy = setup();
      const untidyRoot = join(process.env.TMPDIR!, '..');
      writeFileSync(join(process.env.TMPDIR!, 'rewind-forgotten'), '');
      await untidy();
      expect(process.exitCode).toBe(1);
      expect(errors.mock.calls.join('\n')).toContain('Tests left these behind (removed now; clean up in the test that made them):\n  (no test file: the run itself, or a process with another TMPDIR)\n    left in TMPDIR: rewind-forgotten');
      expect(existsSync(untidyRoot)).toBe(false);
      expect({ TMPDIR: process.env.TMPDIR, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, PM2_HOME: process.env.PM2_HOME }).toEqual(before);
    } finally {
      process.exitCode = exitCode;
      errors.mockRestore();
    }
  });
});
