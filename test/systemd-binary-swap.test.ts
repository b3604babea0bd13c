import { chmodSync, existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRelease } from '../src/core/register-release.js';
import { createCommandSandbox, ENV, ReleaseHealthServer, type CommandSandbox } from './support/command-sandbox.js';

/*
 * The seed-003 shape, as docs/config.md documents it ("One binary under systemd"): one binary per
 * release, swapped by the releases target, restarted with `systemctl restart myapp.service`.
 * systemd cannot run here, so this does NOT exercise systemd. It checks the exact argv rewind plans
 * and runs: the YAML block is read from the docs, and `systemctl` is a stub first on PATH that
 * records each argv and the directory it ran in, and remembers start/stop so that `is-active` answers
 * as a unit would. Health comes from ReleaseHealthServer (the release `current` names serves; a
 * release with a BAD file fails), standing in for the binary itself.
 */
const DOC = readFileSync(join(import.meta.dirname, '..', 'docs', 'config.md'), 'utf8');
const section = DOC.slice(DOC.indexOf('#### One binary under systemd'));
const runtimeBlock = /```yaml\n(runtime:\n[\s\S]*?)```/.exec(section)![1]!;

// The stub: argv and cwd as one JSON line per call; `is-active` exits 0 after start/restart, 3 after stop.
const STUB = `#!${process.execPath}
const fs = require('node:fs');
const [log, state] = [process.env.SYSTEMCTL_STUB_LOG, process.env.SYSTEMCTL_STUB_LOG + '.active'];
const args = process.argv.slice(2);
fs.appendFileSync(log, JSON.stringify({ argv: ['systemctl', ...args], cwd: process.cwd() }) + '\\n');
if (args[0] === 'start' || args[0] === 'restart') fs.writeFileSync(state, '');
else if (args[0] === 'stop') fs.rmSync(state, { force: true });
else if (args[0] === 'is-active') process.exit(fs.existsSync(state) ? 0 : 3);
`;

describe('one binary under systemd (seed 003): the argv rewind runs, against a stub systemctl', () => {
  let health: ReleaseHealthServer;
  let sandbox: CommandSandbox;
  let env: NodeJS.ProcessEnv;
  let log: string;

  beforeAll(async () => {
    health = await ReleaseHealthServer.start();
    // The docs' block, under `runtime:` in the sandbox's config (its keys indented 8 spaces).
    const keys = runtimeBlock.split('\n').slice(1).filter(Boolean).map((line) => `      ${line}`).join('\n');
    sandbox = await createCommandSandbox(health, { runtimeYaml: keys });
    const bin = join(sandbox.root, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'systemctl'), STUB);
    chmodSync(join(bin, 'systemctl'), 0o755);
    log = join(sandbox.root, 'systemctl.log');
    env = { PATH: `${bin}:${process.env.PATH}`, SYSTEMCTL_STUB_LOG: log };
    // Each release: a directory holding the one binary (a broken build also carries BAD, for the health stand-in).
    for (const [version, bad] of [['1.0.0', false], ['1.1.0', true]] as const) {
      const dir = join(sandbox.root, 'artifacts', version);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'myapp'), `#!/bin/true myapp ${version}\n`, { mode: 0o755 });
      if (bad) await writeFile(join(dir, 'BAD'), 'fails its health check\n');
      await registerRelease(sandbox.services, ENV, version, { artifact: dir, ci: 'passed', commit: 'abcdef1234567' });
    }
  });
  afterAll(async () => {
    await sandbox?.close();
    await health?.close();
  });

  const calls = (): { argv: string[]; cwd: string }[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { argv: string[]; cwd: string })
      : [];
  const releaseDir = (version: string) => realpathSync(join(sandbox.root, 'srv', 'releases', version));
  const IS_ACTIVE = ['systemctl', 'is-active', '--quiet', 'myapp.service'];
  const RESTART = ['systemctl', 'restart', 'myapp.service'];
  const START = ['systemctl', 'start', 'myapp.service'];

  it('the docs example is the one under test', () => {
    expect(runtimeBlock).toContain('reload: [systemctl, restart, myapp.service]');
  });

  it('--dry-run --json plans exactly the documented argv and runs none of them', async () => {
    const result = await sandbox.cli(['deploy', ENV, '1.0.0', '--dry-run', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const { plan } = JSON.parse(result.stdout) as { plan: { steps: { id: string; commands: { argv: string[]; cwd?: string }[] }[] } };
    const activate = plan.steps.find((s) => s.id === 'activate')!;
    expect(activate.commands.map((c) => c.argv)).toEqual([IS_ACTIVE, RESTART, START]);
    expect(calls()).toEqual([]);
  });

  it('a deploy starts the unit; a broken binary is swapped in, restarted, and rolled back with a restart of the old one', async () => {
    const first = await sandbox.cli(['deploy', ENV, '1.0.0'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(calls()).toEqual([
      { argv: IS_ACTIVE, cwd: releaseDir('1.0.0') },
      { argv: START, cwd: releaseDir('1.0.0') },
    ]);

    const broken = await sandbox.cli(['deploy', ENV, '1.1.0'], env);
    expect(broken.code).not.toBe(0);
    expect(`${broken.stdout}${broken.stderr}`).toContain('REWIND_E_DEPLOY_ROLLED_BACK');
    // The restart ran with `current` already on the new binary, and the rollback's with it back on the old one.
    expect(calls().slice(2)).toEqual([
      { argv: IS_ACTIVE, cwd: releaseDir('1.1.0') },
      { argv: RESTART, cwd: releaseDir('1.1.0') },
      { argv: IS_ACTIVE, cwd: releaseDir('1.0.0') },
      { argv: RESTART, cwd: releaseDir('1.0.0') },
    ]);
    expect(readlinkSync(join(sandbox.root, 'srv', 'current'))).toBe(join('releases', '1.0.0'));
    expect(readFileSync(join(sandbox.root, 'srv', 'current', 'myapp'), 'utf8')).toBe('#!/bin/true myapp 1.0.0\n');
    expect(sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
  });
});
