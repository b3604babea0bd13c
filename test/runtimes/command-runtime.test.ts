import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandRuntime } from '../../src/adapters/runtimes/command/command-runtime.js';
import { commandRuntimeSchema } from '../../src/adapters/runtimes/command/command-config.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { runtimeContract } from '../contracts/runtime-contract.js';
import { AppReleases, answeringVersion } from '../support/app-releases.js';

// The command runtime driving a real process through user-given argv arrays: test/fixtures/app-ctl.mjs
// stands in for systemctl (start, reload, stop, status by a pid file).
const CTL = join(import.meta.dirname, '..', 'fixtures', 'app-ctl.mjs');

runtimeContract({
  name: 'command (app-ctl: start, reload, stop, status)',
  provider: 'command',
  capabilities: { isRunning: false, servedDirs: false },
  create: async () => {
    const root = await mkdtemp(join(tmpdir(), 'rw-'));
    const port = await freePort();
    const pidfile = join(root, 'app.pid');
    const argv = (action: string) => [process.execPath, CTL, action, pidfile, '{current_dir}', String(port)];
    const config = commandRuntimeSchema.parse({ type: 'command', start: argv('start'), reload: argv('reload'), stop: argv('stop'), status: argv('status'), timeoutMs: 10_000 });
    const releases = new AppReleases(join(root, 'app'));
    return {
      runtime: new CommandRuntime(config, new ProcessExecutor()),
      point: (version) => releases.point(version),
      answering: () => answeringVersion(port),
      cleanup: async () => {
        spawnSync(process.execPath, [CTL, 'stop', pidfile, releases.currentDir, String(port)]);
        await rm(root, { recursive: true, force: true });
      },
    };
  },
});
