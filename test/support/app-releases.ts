import { cp, mkdir, rename, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { artifactDigest } from '../../src/artifacts/artifact-digest.js';
import { buildSampleArtifact } from '../../src/demo/sample-artifacts.js';
import type { RuntimeContext } from '../../src/ports/runtime.js';
import type { ReleaseArtifact } from '../../src/ports/target.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Releases of the sample app (examples/sample-app) under `root`: artifacts as the core registers them
 * (`artifact`), and, for runtime tests that stand in for a releases target, unpacked release
 * directories with the `current` link pointed at one (`point`).
 */
export class AppReleases {
  private readonly artifacts = new Map<string, Promise<ReleaseArtifact>>();

  constructor(readonly root: string) {}

  get currentDir(): string {
    return join(this.root, 'current');
  }

  releaseDir(version: string): string {
    return join(this.root, 'releases', version);
  }

  /** The sample app built as `version` (once), with its registered digest. */
  artifact(version: string): Promise<ReleaseArtifact> {
    let artifact = this.artifacts.get(version);
    if (!artifact) {
      artifact = buildSampleArtifact(join(this.root, 'artifacts'), { version }).then(async (dir) => ({ version, artifact: dir, digest: await artifactDigest(dir) }));
      this.artifacts.set(version, artifact);
    }
    return artifact;
  }

  /** Unpacks `version` (a copy, once) and points `current` at it by rename, as a releases target does. */
  async point(version: string): Promise<RuntimeContext> {
    const releaseDir = this.releaseDir(version);
    if (!existsSync(releaseDir)) {
      await mkdir(join(this.root, 'releases'), { recursive: true });
      await cp((await this.artifact(version)).artifact, releaseDir, { recursive: true });
    }
    const temporary = `${this.currentDir}.tmp`;
    await symlink(join('releases', version), temporary);
    await rename(temporary, this.currentDir);
    return { currentDir: this.currentDir, releaseDir, version };
  }
}

/**
 * The version the sample app on `port` answers with (GET /health), or null when nothing answers.
 * `starting`: the caller knows a process of it runs, so a refused connection is the app still
 * binding its port, and is retried for up to 3 s.
 */
export async function answeringVersion(port: number, starting = false): Promise<string | null> {
  const deadline = Date.now() + (starting ? 3000 : 0);
  for (;;) {
    try {
      return await healthVersion(port);
    } catch {
      if (Date.now() >= deadline) return null;
      await sleep(50);
    }
  }
}

/**
 * GET /health on a connection of its own, closed after the answer: a keep-alive connection left in
 * a pool would hold the app's graceful close (server.close waits for it) until its drain deadline.
 */
function healthVersion(port: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 2000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve((JSON.parse(body) as { version?: string }).version ?? null);
        } catch (error) {
          reject(error as Error);
        }
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}
