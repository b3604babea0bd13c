import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../util/atomic-file.js';
import { ReleaseRecords } from '../release-records.js';

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

export class EcsState extends ReleaseRecords<EcsRecord> {
  get stoppedFile(): string {
    return join(this.dir, 'stopped.json');
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
    await writeFileAtomic(this.stoppedFile, JSON.stringify({ desiredCount }) + '\n');
  }
}
