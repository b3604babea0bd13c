import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pm2Runtime } from '../../src/adapters/runtimes/pm2/pm2-runtime.js';
import { ReleasesTarget } from '../../src/adapters/targets/releases/releases-target.js';
import { pm2RuntimeSchema } from '../../src/adapters/runtimes/pm2/pm2-config.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { targetContract } from '../contracts/target-contract.js';
import { AppReleases, answeringVersion } from '../support/app-releases.js';

// The releases target (releases/<version> and the `current` link) running the sample app under a
// real PM2 daemon of its own, in fork mode (a restart per activation).
targetContract({
  name: 'releases, pm2 runtime (fork)',
  provider: 'releases',
  capabilities: { servedVersions: true, slots: false, releaseDir: true },
  create: async () => {
    const root = await mkdtemp(join(tmpdir(), 'rw-'));
    const port = await freePort();
    const config = pm2RuntimeSchema.parse({ type: 'pm2', name: `rw-target-${port}`, execMode: 'fork', pm2Home: join(root, 'pm2'), env: { PORT: String(port), DRAIN_MS: '0' }, killTimeoutMs: 2000 });
    const runtime = new Pm2Runtime(config, new ProcessExecutor());
    const target = new ReleasesTarget(join(root, 'srv'), runtime);
    const artifacts = new AppReleases(join(root, 'build'));
    return {
      target,
      release: (version) => artifacts.artifact(version),
      answering: async () => {
        const version = await answeringVersion(port, await runtime.isRunning());
        return version === null ? [] : [version];
      },
      cleanup: async () => {
        await runtime.destroy();
        await target.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
});
