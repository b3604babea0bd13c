import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pm2CliRuntime } from '../../src/adapters/runtimes/pm2/pm2-cli-runtime.js';
import { pm2RuntimeSchema } from '../../src/adapters/runtimes/pm2/pm2-config.js';
import { SshConnection } from '../../src/adapters/targets/ssh-fleet/ssh-connection.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import type { Executor } from '../../src/ports/executor.js';
import { runtimeContract } from '../contracts/runtime-contract.js';
import { AppReleases, answeringVersion } from '../support/app-releases.js';
import { killPm2Daemon, PM2_BIN } from '../support/pm2-cli-homes.js';
import { clientKey, TestSshd } from '../support/sshd.js';

// The PM2 runtime a fleet runs on its hosts: the real `pm2` command line (node_modules/.bin/pm2)
// driven through an Executor, with a PM2_HOME of its own (a short path: PM2's sockets must fit in
// 107 bytes) whose daemon alone is stopped at the end. Once through this machine's executor, once
// through ssh to a real sshd on loopback (the executor the fleet hands its hosts' runtimes).

interface Where {
  executor: Executor;
  close(): Promise<void>;
}

function pm2CliContract(name: string, reach: (root: string) => Promise<Where>): void {
  runtimeContract({
    name,
    provider: 'pm2',
    capabilities: { isRunning: true, servedDirs: true },
    create: async () => {
      const root = await mkdtemp(join(tmpdir(), 'rw-'));
      const port = await freePort();
      const home = join(root, 'pm2');
      const config = pm2RuntimeSchema.parse({
        type: 'pm2',
        name: `rw-cli-${port}`,
        execMode: 'cluster',
        instances: 1,
        pm2Home: home,
        bin: PM2_BIN,
        env: { PORT: String(port), DRAIN_MS: '0' },
        killTimeoutMs: 2000,
      });
      const where = await reach(root);
      const runtime = new Pm2CliRuntime(config, where.executor);
      const releases = new AppReleases(join(root, 'app'));
      return {
        runtime,
        point: (version) => releases.point(version),
        answering: async () => answeringVersion(port, await runtime.isRunning()),
        cleanup: async () => {
          await runtime.destroy().catch(() => undefined);
          killPm2Daemon(home);
          await where.close();
          await rm(root, { recursive: true, force: true });
        },
      };
    },
  });
}

pm2CliContract('pm2 command line (cluster, 1 instance), on this machine', async () => ({ executor: new ProcessExecutor(), close: async () => undefined }));

pm2CliContract('pm2 command line (cluster, 1 instance), on a host over ssh', async (root) => {
  const key = await clientKey(join(root, 'client'));
  const sshd = await TestSshd.start(key.publicKey);
  const knownHosts = join(root, 'known_hosts');
  await writeFile(knownHosts, `${sshd.knownHostsLine}\n`);
  const connection = new SshConnection(
    { name: 'web1', address: '127.0.0.1', port: sshd.port, user: 'root', root: join(root, 'app') },
    { knownHosts, identityFile: key.identity, hostKeyPolicy: 'strict', connectTimeoutSec: 5, commandTimeoutMs: 60_000 },
    join(root, 'ssh-master'),
    new ProcessExecutor(),
  );
  await connection.connect();
  return {
    executor: connection.executorOnHost(),
    close: async () => {
      await connection.close().catch(() => undefined);
      await sshd.stop();
    },
  };
});
