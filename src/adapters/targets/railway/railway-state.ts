import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// What the railway target keeps on this machine, under its state directory:
//   releases/<v>/release.json   one per prepared release: the manifest, its digest, and the deployments
//                               rewind's rollbacks made of it (each deploymentRollback is a new deployment)
//   manifests/<hash>/railway-deployment.json  what `release register --deployment` wrote
//   adopted                     written by the first successful activate: from then on the service is rewind's
// Railway itself holds what runs; these files only map deployment ids back to releases.

export const MANIFEST_FILE = 'railway-deployment.json';

/** The manifest a release is registered as: one Railway deployment of the service in the environment. */
export interface DeploymentManifest {
  deploymentId: string;
  projectId: string;
  environmentId: string;
  serviceId: string;
  /** meta.commitHash when Railway built it from git. */
  commit: string | null;
  /** meta.image (an image source) when there is one. */
  image: string | null;
}

export interface RailwayRecord extends DeploymentManifest {
  version: string;
  digest: string;
  /** Deployments that run this release too: those deploymentRollback / deploymentRedeploy created from it. */
  derived: string[];
  /**
   * Written just before a deploymentRollback is sent: the deployment ids that existed then. If rewind
   * stops before it records the new deployment, the next activate finds it as the one not in this
   * list instead of sending the mutation again.
   */
  pending?: string[];
}

export class RailwayState {
  constructor(readonly dir: string) {}

  get releasesDir(): string {
    return join(this.dir, 'releases');
  }
  recordFile(version: string): string {
    return join(this.releasesDir, version, 'release.json');
  }

  async record(version: string): Promise<RailwayRecord | null> {
    try {
      return JSON.parse(await readFile(this.recordFile(version), 'utf8')) as RailwayRecord;
    } catch {
      return null;
    }
  }

  async records(): Promise<RailwayRecord[]> {
    if (!existsSync(this.releasesDir)) return [];
    const names = (await readdir(this.releasesDir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
    return (await Promise.all(names.map((n) => this.record(n)))).filter((r): r is RailwayRecord => r !== null);
  }

  /** The release a deployment runs, by its own id or one of its rollbacks'. */
  async versionOf(deploymentId: string | undefined): Promise<string | null> {
    if (!deploymentId) return null;
    return (await this.records()).find((r) => r.deploymentId === deploymentId || r.derived.includes(deploymentId))?.version ?? null;
  }

  /** Written under a temporary name and renamed: a crash never leaves half a record. */
  async writeRecord(record: RailwayRecord): Promise<void> {
    await mkdir(this.releasesDir, { recursive: true });
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

  /** Records a deployment made of the release (and clears a pending rollback: it is this one). */
  async addDerived(version: string, deploymentId: string): Promise<void> {
    const record = await this.record(version);
    if (!record) return;
    const { pending: _done, ...rest } = record;
    await this.writeRecord({ ...rest, derived: record.derived.includes(deploymentId) ? record.derived : [...record.derived, deploymentId] });
  }

  async setPending(version: string, known: string[] | null): Promise<void> {
    const record = await this.record(version);
    if (!record) return;
    const { pending: _old, ...rest } = record;
    await this.writeRecord(known ? { ...rest, pending: known } : rest);
  }

  get adoptedFile(): string {
    return join(this.dir, 'adopted');
  }

  adopted(): boolean {
    return existsSync(this.adoptedFile);
  }

  async markAdopted(): Promise<void> {
    if (this.adopted()) return;
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.adoptedFile, `${new Date().toISOString()}\n`);
  }

  async removeRecord(version: string): Promise<void> {
    const doomed = join(this.releasesDir, `.del-${version}-${randomBytes(4).toString('hex')}`);
    await rename(join(this.releasesDir, version), doomed);
    await rm(doomed, { recursive: true, force: true });
  }
}
