import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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

export class VercelState {
  constructor(readonly dir: string) {}

  get releasesDir(): string {
    return join(this.dir, 'releases');
  }
  recordFile(version: string): string {
    return join(this.releasesDir, version, 'release.json');
  }

  async record(version: string): Promise<VercelRecord | null> {
    try {
      return JSON.parse(await readFile(this.recordFile(version), 'utf8')) as VercelRecord;
    } catch {
      return null;
    }
  }

  async records(): Promise<VercelRecord[]> {
    if (!existsSync(this.releasesDir)) return [];
    const names = (await readdir(this.releasesDir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
    return (await Promise.all(names.map((n) => this.record(n)))).filter((r): r is VercelRecord => r !== null);
  }

  /** Written under a temporary name and renamed: a crash never leaves half a record. */
  async writeRecord(record: VercelRecord): Promise<void> {
    const staging = join(this.releasesDir, `.tmp-${record.version}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging, { recursive: true });
    try {
      await writeFile(join(staging, 'release.json'), JSON.stringify(record, null, 2) + '\n');
      await rm(join(this.releasesDir, record.version), { recursive: true, force: true });
      await rename(staging, join(this.releasesDir, record.version));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async removeRecord(version: string): Promise<void> {
    const doomed = join(this.releasesDir, `.del-${version}-${randomBytes(4).toString('hex')}`);
    await rename(join(this.releasesDir, version), doomed);
    await rm(doomed, { recursive: true, force: true });
  }

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
