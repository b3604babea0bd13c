import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { inspectArtifact } from '../../src/artifacts/artifact-digest.js';
import { composeTargetSchema } from '../../src/adapters/targets/compose/compose-config.js';
import { composeTargetDefinition } from '../../src/adapters/targets/compose/compose-definition.js';
import { loadAdapters } from '../../src/adapters/registry.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import type { ReleaseArtifact, Target } from '../../src/ports/target.js';
import { targetContract } from '../contracts/target-contract.js';
import { DOCKER_CLI, DockerEngine, freePort, type LocalRegistry } from '../support/docker-engine.js';

// The compose target against a real Docker engine of this file's own (dockerd 20.10 from Debian's
// docker.io, docker-compose 1.29), images pulled by digest from a real local registry. Built
// through the registry (definition, schema, resolvePaths), as the CLI builds it.

/** The target, the app's port and what built it, shared by the contract's cases. */
async function composeHarness() {
  const engine = await DockerEngine.start();
  const registry: LocalRegistry = await engine.registry();
  const root = await mkdtemp(join(tmpdir(), 'ct-'));
  const port = await freePort();
  const file = join(root, 'docker-compose.yml');
  await writeFile(file, `version: "3.8"\nservices:\n  web:\n    image: ${registry.address}/app:unset\n    network_mode: host\n    environment:\n      PORT: "${port}"\n`);
  const config = composeTargetSchema.parse({ type: 'compose', project: `ct${port}`, files: ['docker-compose.yml'], docker: DOCKER_CLI, dockerHost: engine.host, healthTimeoutMs: 20_000 });
  composeTargetDefinition.resolvePaths!(config, { env: 'production', baseDir: root, abs: (p) => (isAbsolute(p) ? p : resolve(root, p)) });
  const adapters = await loadAdapters(['target', 'runtime']);
  const target: Target = adapters.createTarget({ target: config }, new ProcessExecutor());
  const releases = new Map<string, ReleaseArtifact>();
  return {
    engine,
    registry,
    root,
    port,
    config,
    target,
    release: async (version: string): Promise<ReleaseArtifact> => {
      if (!releases.has(version)) {
        const { tag } = await engine.buildApp(registry, 'app', version);
        // Registered as the CLI registers it: the tag resolved to its digest once, into a manifest directory.
        const artifact = await target.artifactFromImages!({ web: tag });
        releases.set(version, { version, artifact, digest: (await inspectArtifact(artifact)).digest });
      }
      return releases.get(version)!;
    },
    answering: async () => {
      const answer = await fetch(`http://127.0.0.1:${port}/version`).then(async (r) => (r.ok ? (await r.text()).trim() : null), () => null);
      return answer === null ? [] : [answer];
    },
    cleanup: async () => {
      await target.close();
      await engine.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

targetContract({
  name: 'compose (docker-compose 1.29, dockerd 20.10, local registry)',
  provider: 'compose',
  capabilities: { servedVersions: true, slots: false, releaseDir: false },
  create: composeHarness,
});

