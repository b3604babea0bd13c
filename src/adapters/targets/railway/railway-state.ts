import { ReleaseRecords } from '../release-records.js';

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

export class RailwayState extends ReleaseRecords<RailwayRecord> {
  /** The release a deployment runs, by its own id or one of its rollbacks'. */
  async versionOf(deploymentId: string | undefined): Promise<string | null> {
    if (!deploymentId) return null;
    return (await this.records()).find((r) => r.deploymentId === deploymentId || r.derived.includes(deploymentId))?.version ?? null;
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
}
