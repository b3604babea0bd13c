import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// What the ecs target keeps on this machine, under its state directory:
//   releases/<v>/release.json  one per prepared release: the manifest digest, the task definition ARN, images
//   adopted                    written by the first successful activate: from then on the service is rewind's
//   stopped.json               the desired count `stop` set to 0, so the next activate scales back up
//   manifests/<hash>/task-definition.json  what `release register --task-definition` wrote
// ECS itself holds what runs; these files only map task definition ARNs back to releases.

export const MANIFEST_FILE = 'task-definition.json';

/** The manifest a release is registered as: one task definition revision and its images by digest. */
export interface TaskDefinitionManifest {
  taskDefinitionArn: string;
  /** `family:revision`. */
  taskDefinition: string;
  /** container name -> image. */
  images: Record<string, string>;
}

export interface EcsRecord extends TaskDefinitionManifest {
  version: string;
  digest: string;
}

export class EcsState {
  constructor(readonly dir: string) {}

  get releasesDir(): string {
    return join(this.dir, 'releases');
  }
  get stoppedFile(): string {
    return join(this.dir, 'stopped.json');
  }
  recordFile(version: string): string {
    return join(this.releasesDir, version, 'release.json');
  }

  async record(version: string): Promise<EcsRecord | null> {
    try {
      return JSON.parse(await readFile(this.recordFile(version), 'utf8')) as EcsRecord;
    } catch {
      return null;
    }
  }

  async records(): Promise<EcsRecord[]> {
    if (!existsSync(this.releasesDir)) return [];
    const names = (await readdir(this.releasesDir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
    return (await Promise.all(names.map((n) => this.record(n)))).filter((r): r is EcsRecord => r !== null);
  }

  /** Written under a temporary name and renamed: a crash never leaves half a record. */
  async writeRecord(record: EcsRecord): Promise<void> {
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

  async stopped(): Promise<{ desiredCount: number } | null> {
    try {
      return JSON.parse(await readFile(this.stoppedFile, 'utf8')) as { desiredCount: number };
    } catch {
      return null;
    }
  }

  async writeStopped(desiredCount: number | null): Promise<void> {
    if (desiredCount === null) return rm(this.stoppedFile, { force: true });
    await mkdir(this.dir, { recursive: true });
    const temporary = `${this.stoppedFile}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(temporary, JSON.stringify({ desiredCount }) + '\n');
    await rename(temporary, this.stoppedFile);
  }
}
