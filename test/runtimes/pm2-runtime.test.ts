import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pm2Runtime } from '../../src/adapters/runtimes/pm2/pm2-runtime.js';
import { pm2RuntimeSchema } from '../../src/adapters/runtimes/pm2/pm2-config.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { runtimeContract } from '../contracts/runtime-contract.js';
import { AppReleases, answeringVersion } from '../support/app-releases.js';

// The PM2 runtime on a real PM2 daemon of its own (a short PM2_HOME: its sockets must fit in 107
// bytes), running the sample app in cluster mode, the zero-downtime path.
runtimeContract({
  name: 'pm2 (cluster, 1 instance)',
  provider: 'pm2',
  capabilities: { isRunning: true, servedDirs: true },
  create: async () => {
    const root = await mkdtemp(join(tmpdir(), 'rw-'));
    const port = await freePort();
    const config = pm2RuntimeSchema.parse({
      type: 'pm2',
      name: `rw-contract-${port}`,
      execMode: 'cluster',
      instances: 1,
      pm2Home: join(root, 'pm2'),
      env: { PORT: String(port), DRAIN_MS: '0' },
      killTimeoutMs: 2000,
    });
    const runtime = new Pm2Runtime(config, new ProcessExecutor());
    const releases = new AppReleases(join(root, 'app'));
    return {
      runtime,
      point: (version) => releases.point(version),
      answering: async () => answeringVersion(port, await runtime.isRunning()),
      cleanup: async () => {
        await runtime.destroy();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
});
