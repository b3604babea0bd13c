import { readlinkSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandRuntime } from '../../src/adapters/runtimes/command/command-runtime.js';
import { commandRuntimeSchema } from '../../src/adapters/runtimes/command/command-config.js';
import { ReleasesTarget } from '../../src/adapters/targets/releases/releases-target.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { runtimeContract } from '../contracts/runtime-contract.js';
import { targetContract } from '../contracts/target-contract.js';
import { AppReleases, answeringVersion } from '../support/app-releases.js';
import { createSandbox, ENV, type Sandbox } from '../support/sandbox.js';
import { Supervisord } from '../support/supervisord.js';

/*
 * The command runtime driving a real process manager: one supervisord (Debian's supervisor 4.2) for
 * this file, with its own config, socket and logs in a temp dir, running the sample app from the
 * `current` link of a releases directory. rewind only runs supervisorctl argv arrays:
 *   start = supervisorctl start <prog>, reload = restart, stop = stop, status = status.
 * supervisorctl 4.2 exits 0 for `status <prog>` unless the program is in a stopped state (STOPPED,
 * EXITED, FATAL: exit 3), so a program in BACKOFF or STARTING counts as running and is restarted;
 * `stop` of a stopped program and `start` of a started one print an ERROR and still exit 0.
 */
let daemon: Promise<Supervisord> | undefined;
const supervisord = () => (daemon ??= Supervisord.start());
afterAll(async () => {
  await (await daemon)?.stop();
});

/** The command runtime config for program `name` of this file's supervisord. */
async function supervisorctlRuntime(name: string) {
  const sv = await supervisord();
  return commandRuntimeSchema.parse({
    type: 'command',
    start: sv.argv('start', name),
    reload: sv.argv('restart', name),
    stop: sv.argv('stop', name),
    status: sv.argv('status', name),
    timeoutMs: 20_000,
  });
}

/** The version program `name` answers with on `port`; it is given time to bind only when supervisord says it runs. */
async function answering(name: string, port: number): Promise<string | null> {
  return answeringVersion(port, (await supervisord()).status(name).state === 'RUNNING');
}

runtimeContract({
  name: 'command (supervisorctl against a real supervisord)',
  provider: 'command',
  capabilities: { isRunning: false, servedDirs: false },
  create: async () => {
    const root = await mkdtemp(join(tmpdir(), 'rt-'));
    const port = await freePort();
    const releases = new AppReleases(join(root, 'app'));
    await (await supervisord()).addProgram('rt', releases.currentDir, port);
    return {
      runtime: new CommandRuntime(await supervisorctlRuntime('rt'), new ProcessExecutor()),
      point: (version) => releases.point(version),
      answering: () => answering('rt', port),
      cleanup: async () => {
        (await supervisord()).ctl('stop', 'rt');
        await rm(root, { recursive: true, force: true });
      },
    };
  },
});

targetContract({
  name: 'releases, command runtime (supervisorctl against a real supervisord)',
  provider: 'releases',
  // The command runtime cannot tell which directory a process runs from: servedVersions answers null.
  capabilities: { servedVersions: false, slots: false, releaseDir: true },
  create: async () => {
    const root = await mkdtemp(join(tmpdir(), 'tg-'));
    const port = await freePort();
    const target = new ReleasesTarget(join(root, 'srv'), new CommandRuntime(await supervisorctlRuntime('tg'), new ProcessExecutor()));
    await (await supervisord()).addProgram('tg', target.currentLink, port);
    const artifacts = new AppReleases(join(root, 'build'));
    return {
      target,
      release: (version) => artifacts.artifact(version),
      answering: async () => {
        const version = await answering('tg', port);
        return version === null ? [] : [version];
      },
      cleanup: async () => {
        (await supervisord()).ctl('stop', 'tg');
        await target.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
});

// Through the built CLI (npm run build first), as a user would run it against supervisord.
describe('rewind CLI with the command runtime on a real supervisord', () => {
  let sandbox: Sandbox;
  let sv: Supervisord;

  beforeAll(async () => {
    sv = await supervisord();
    const argv = (...args: string[]) => JSON.stringify(sv.argv(...args));
    sandbox = await createSandbox({
      runtimeYaml: () => `        type: command
        start: ${argv('start', 'e2e')}
        reload: ${argv('restart', 'e2e')}
        stop: ${argv('stop', 'e2e')}
        status: ${argv('status', 'e2e')}
        timeoutMs: 20000`,
    });
    await sv.addProgram('e2e', join(sandbox.root, 'srv', 'current'), sandbox.port);
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { health: 'fail' } });
  });
  afterAll(async () => {
    sv?.ctl('stop', 'e2e');
    await sandbox?.close();
  });

  /** supervisorctl's view of the program, and the release directory its process really runs from. */
  const running = () => {
    const { state, pid } = sv.status('e2e');
    return { state, cwd: pid > 0 ? readlinkSync(`/proc/${pid}/cwd`) : null };
  };

  it('deploys 1.0.0 (supervisorctl start), then a broken 1.1.0 rolls back automatically: 1.0.0 runs again under supervisord', async () => {
    const releaseDir = (version: string) => realpathSync(join(sandbox.root, 'srv', 'releases', version));

    const first = await sandbox.cli(['deploy', ENV, '1.0.0']);
    expect(first.code, first.stderr).toBe(0);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(running()).toEqual({ state: 'RUNNING', cwd: releaseDir('1.0.0') });
    const firstPid = sv.status('e2e').pid;

    const broken = await sandbox.cli(['deploy', ENV, '1.1.0']);
    expect(broken.code, broken.stdout).not.toBe(0);
    expect(`${broken.stdout}${broken.stderr}`).toContain('REWIND_E_DEPLOY_ROLLED_BACK');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(running()).toEqual({ state: 'RUNNING', cwd: releaseDir('1.0.0') });
    // Restarted twice (to 1.1.0, back to 1.0.0): a new process, not the first one left alone.
    expect(sv.status('e2e').pid).not.toBe(firstPid);
    expect(readlinkSync(join(sandbox.root, 'srv', 'current'))).toBe(join('releases', '1.0.0'));

    // What the ledger recorded: the first deploy started the program (status exited 3), the broken
    // deploy's activate restarted it (status exited 0), and so did the rollback's.
    const [rollback, deploy, initial] = await sandbox.ledger.listOperations(ENV);
    const activateOf = async (id: string) => (await sandbox.ledger.listSteps(id)).find((s) => s.stepId === 'activate')?.detail;
    expect(await activateOf(initial!.id)).toMatchObject({ action: 'start', exitCode: 0, argv: sv.argv('start', 'e2e').join(' ') });
    expect(await activateOf(deploy!.id)).toMatchObject({ action: 'reload', exitCode: 0, argv: sv.argv('restart', 'e2e').join(' ') });
    expect(await activateOf(rollback!.id)).toMatchObject({ action: 'reload', exitCode: 0 });
  });
});
