import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReleaseRecords } from '../release-records.js';

// What the vercel target keeps on this machine, under its state directory:
//   releases/<v>/release.json  one per prepared release: the manifest digest and the deployment it names
//   adopted                    written by the first successful promote: from then on production is rewind's
//   paused                     written by `stop` (the project was paused), removed by the next activate
//   manifests/<hash>/vercel-deployment.json  what `release register` wrote for a deployment it found
// Vercel itself holds the deployments and what production serves; these files only map deployment
// ids back to releases.

export const MANIFEST_FILE = 'vercel-deployment.json';

/** The manifest a release is registered as: one existing deployment of the project, by id. */
export interface DeploymentManifest {
  /** dpl_...: what promote is called with, for the life of the release. */
  deploymentId: string;
  /** The deployment's own URL (<name>-<hash>.vercel.app): it keeps serving that deployment whatever production does. */
  url: string;
  projectId: string;
  /** meta.githubCommitSha (or the git commit the deployment was found by), when the deployment has one. */
  commit: string | null;
  /** How register found it: `deployment`, `commit` or `meta:<key>`. */
  foundBy: string;
  /** When Vercel created the deployment (ms since the epoch). */
  createdAt: number | null;
}

export interface VercelRecord extends DeploymentManifest {
  version: string;
  digest: string;
}

/** The shared release records (crash-safe writes, dot-named staging), plus the target's two flags. */
export class VercelState extends ReleaseRecords<VercelRecord> {
  private flagFile(name: 'adopted' | 'paused'): string {
    return join(this.dir, name);
  }

  has(flag: 'adopted' | 'paused'): boolean {
    return existsSync(this.flagFile(flag));
  }

  async set(flag: 'adopted' | 'paused', on: boolean): Promise<void> {
    if (!on) return rm(this.flagFile(flag), { force: true });
    if (this.has(flag)) return;
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.flagFile(flag), `${new Date().toISOString()}\n`);
  }
}
