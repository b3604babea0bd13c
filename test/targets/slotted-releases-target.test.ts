import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAdapters } from '../../src/adapters/registry.js';
import type { SlottedReleasesTarget } from '../../src/adapters/targets/slotted-releases/slotted-releases-target.js';
import { pm2RuntimeSchema } from '../../src/adapters/runtimes/pm2/pm2-config.js';
import { slotsSchema } from '../../src/adapters/targets/slotted-releases/slots-config.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { targetContract } from '../contracts/target-contract.js';
import { AppReleases, answeringVersion } from '../support/app-releases.js';

// The releases target with two warm slots (blue, green), each the sample app under a real PM2 daemon
// (one PM2_HOME for both, as configured), each on its own port; no router: traffic is not the target's.
targetContract({
  name: 'slotted releases, pm2 runtime (fork)',
  provider: 'slotted-releases',
  capabilities: { servedVersions: false, slots: true, releaseDir: true },
  create: async () => {
    const root = await mkdtemp(join(tmpdir(), 'rw-'));
    const slots = slotsSchema.parse({ blue: { port: await freePort() }, green: { port: await freePort() } });
    const base = pm2RuntimeSchema.parse({ type: 'pm2', name: `rw-slots-${slots.blue.port}`, execMode: 'fork', pm2Home: join(root, 'pm2'), env: { DRAIN_MS: '0' }, killTimeoutMs: 2000 });
    // Built the way rewind builds it: the registry picks the slotted definition for a releases target with slots.
    const { createTarget } = await loadAdapters(['target', 'runtime']);
    const target = createTarget({ target: { type: 'releases', path: join(root, 'srv'), keep: 5, runtime: base, slots } } as never, new ProcessExecutor()) as SlottedReleasesTarget;
    const artifacts = new AppReleases(join(root, 'build'));
    return {
      target,
      release: (version) => artifacts.artifact(version),
      answering: async () => {
        const online = new Map((await target.slots()).map((slot) => [slot.port, slot.online]));
        const versions = await Promise.all([slots.blue.port, slots.green.port].map((port) => answeringVersion(port, online.get(port))));
        return versions.filter((version): version is string => version !== null).sort();
      },
      cleanup: async () => {
        await target.destroy();
        await target.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
});
