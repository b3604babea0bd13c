import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { freePort } from '../util/free-port.js';

/** Re-exported: the tests and the demo take their ports from one place (src/util/free-port.ts). */
export { freePort };

/** The sample app shipped in the package under examples/. */
export const SAMPLE_APP_DIR = join(packageRoot(), 'examples', 'sample-app');

export interface SampleRelease {
  version: string;
  /** Faults the sample app injects (examples/sample-app/server.js documents each). */
  fault?: { health?: 'fail'; auth?: 'fail'; bootDelayMs?: number; errorRate?: number; errorAfterMs?: number; latencyMs?: number; latencyJitterMs?: number };
}

/** Builds a release directory of the sample app: its code plus a release.json naming version and fault. */
export async function buildSampleArtifact(root: string, release: SampleRelease): Promise<string> {
  const dir = join(root, `sample-app-${release.version}`);
  await mkdir(root, { recursive: true });
  await cp(SAMPLE_APP_DIR, dir, { recursive: true });
  await writeFile(join(dir, 'release.json'), `${JSON.stringify(release)}\n`);
  return dir;
}


/** A rewind.yaml for one environment running the sample app under PM2 inside `root`. */
export function sampleConfigYaml(options: {
  root: string;
  env: string;
  port: number;
  appName: string;
  retries?: number;
  execMode?: 'cluster' | 'fork';
  /** PM2 processes of the app (cluster mode: workers sharing the port); 1 by default. */
  instances?: number;
  readinessDelayMs?: number;
  /** A replacement `runtime:` mapping (YAML, indented for its place); PM2 by default. */
  runtimeYaml?: string;
  /** The ledger location; a SQLite file in `root` by default. */
  ledger?: string;
  /** Headers the health check sends with every probe. */
  healthHeaders?: Record<string, string>;
  /** `user:password` the health check sends in its URL. */
  healthUserinfo?: string;
  /** More environment for the app's processes (examples/sample-app/server.js reads e.g. DRAIN_MS). */
  appEnv?: Record<string, string>;
}): string {
  const runtime =
    options.runtimeYaml ??
    `        type: pm2
        name: ${options.appName}
        script: server.js
        execMode: ${options.execMode ?? 'cluster'}
        instances: ${options.instances ?? 1}
        pm2Home: ${join(options.root, 'pm2')}
        env:
          PORT: "${options.port}"
          OPERATOR_TOKEN: demo-operator-token${Object.entries(options.appEnv ?? {})
            .map(([key, value]) => `\n          ${key}: ${JSON.stringify(value)}`)
            .join('')}
        killTimeoutMs: 2000`;
  return `version: 1
ledger: ${options.ledger ?? join(options.root, 'rewind.db')}
log:
  file: ${join(options.root, 'rewind-events.log')}
environments:
  ${options.env}:
    target:
      type: releases
      path: ${join(options.root, 'srv')}
      keep: 5
      runtime:
${runtime}
    health:
      url: http://${options.healthUserinfo ? `${options.healthUserinfo}@` : ''}127.0.0.1:${options.port}/health
      expectStatus: 200${options.healthHeaders ? `\n      headers: ${JSON.stringify(options.healthHeaders)}` : ''}
      json:
        status: ok
        version: "{{version}}"
      timeoutMs: 1000
      retries: ${options.retries ?? 4}
      backoffMs: 100
      maxBackoffMs: 400
      readinessDelayMs: ${options.readinessDelayMs ?? 0}
    deploy:
      autoRollback: true
      minFreeMb: 10
`;
}
