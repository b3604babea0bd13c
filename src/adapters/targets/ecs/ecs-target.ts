import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Service } from '@aws-sdk/client-ecs';
import { isRewindError, RewindError } from '../../../errors/rewind-error.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import { DEFAULT_TARGET_CAPABILITIES, type ActionDescription, type FreeSpace, type ReleaseArtifact, type ServedProcess, type Target, type TargetCapabilities } from '../../../ports/target.js';
import { EcsApi, primaryOf } from './ecs-api.js';
import { ECS_TARGET_TYPE, type EcsServiceConfig } from './ecs-config.js';
import { EcsState, MANIFEST_FILE, type EcsRecord, type TaskDefinitionManifest } from './ecs-state.js';
import { preparedManifest, writeManifestDir } from '../release-records.js';
import { freeSpaceAt } from '../free-space.js';

const DIGESTED = /@sha256:[0-9a-f]{64}$/;

export class EcsTarget implements Target {
  readonly type = ECS_TARGET_TYPE;
  private readonly api: EcsApi;
  private readonly state: EcsState;

  constructor(
    private readonly config: EcsServiceConfig,
    readonly capabilities: TargetCapabilities = DEFAULT_TARGET_CAPABILITIES,
  ) {
    this.api = new EcsApi(config);
    this.state = new EcsState(config.stateDir);
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    return {
      summary: `prepare ${release.version}: check its task definition is still registered and ACTIVE`,
      commands: [],
      effects: [`read the manifest ${join(release.stored ?? release.artifact, MANIFEST_FILE)} and verify its digest`, 'ECS DescribeTaskDefinition of its revision', `write ${this.state.recordFile(release.version)}`],
    };
  }

  describeActivate(version: string): ActionDescription {
    const revision = this.recordSync(version)?.taskDefinition ?? `the task definition of ${version}`;
    return {
      summary: `activate ${version}: ECS UpdateService ${this.config.service} (cluster ${this.config.cluster}) to ${revision}`,
      commands: [],
      effects: [
        `ECS UpdateService --task-definition ${revision}`,
        `poll DescribeServices every ${this.config.pollMs} ms for up to ${this.config.stableTimeoutMs} ms until one deployment is left, running = desired and its rollout COMPLETED (as aws ecs wait services-stable), and the PRIMARY deployment runs ${revision}`,
        'a deployment circuit breaker rollback (rollout FAILED, or PRIMARY back on another revision) fails the activation; ECS has already rolled back by itself',
      ],
    };
  }

  async prepare(release: ReleaseArtifact): Promise<Outcome> {
    try {
      const found = await preparedManifest(this.state, release, MANIFEST_FILE, 'task definition manifest', readManifest);
      if ('failure' in found) return found.failure;
      const { manifest, existing } = found;
      // Checked every time (a rollback's too): a revision deregistered since cannot start new tasks.
      await this.activeTaskDefinition(manifest.taskDefinitionArn);
      if (!existing) await this.state.writeRecord({ version: release.version, digest: release.digest, ...manifest });
      return succeeded(`${release.version}: task definition ${manifest.taskDefinition} is registered and ACTIVE`, { taskDefinition: manifest.taskDefinition, images: manifest.images, reused: existing !== null });
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
  }

  async activate(version: string): Promise<Outcome> {
    const record = await this.state.record(version);
    if (!record) return failed(`${version} is not prepared (no ${this.state.recordFile(version)})`, undefined, 'REWIND_E_ARTIFACT_NOT_FOUND');
    try {
      const before = await this.api.service();
      const stopped = await this.state.stopped();
      const primary = primaryOf(before);
      const started = performance.now();
      // Already rolled to it (a repeated activate after a crash): no new deployment, only the wait.
      if (primary?.taskDefinition !== record.taskDefinitionArn || stopped) {
        await this.api.update({ taskDefinition: record.taskDefinitionArn, ...(stopped ? { desiredCount: stopped.desiredCount } : {}) });
      }
      const settled = await this.waitStable(record);
      await this.state.writeStopped(null);
      await this.state.markAdopted();
      return succeeded(`${version} runs on ECS ${this.api.where}: ${record.taskDefinition}, ${settled.runningCount}/${settled.desiredCount} tasks, rollout COMPLETED`, {
        taskDefinition: record.taskDefinition,
        previous: primary?.taskDefinition ?? null,
        waitMs: Math.round(performance.now() - started),
      });
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
  }

  /**
   * What `aws ecs wait services-stable` checks (one deployment, running = desired) plus the rollout
   * state, and one thing it does not: that the PRIMARY deployment runs the revision asked for. After a
   * deployment circuit breaker rollback settles, the service is "stable" again, on the old revision.
   */
  private async waitStable(record: EcsRecord): Promise<Service> {
    const deadline = Date.now() + this.config.stableTimeoutMs;
    let last = '';
    // Once the circuit breaker has failed the rollout, the wait goes on until ECS's own rollback
    // settles (or the deadline), so the failure is reported with the service in a known state.
    let rolledBack: RewindError | null = null;
    for (;;) {
      const service = await this.api.service();
      const deployments = service.deployments ?? [];
      const primary = primaryOf(service);
      const ours = deployments.find((d) => d.taskDefinition === record.taskDefinitionArn);
      if (!rolledBack && primary && primary.taskDefinition !== record.taskDefinitionArn) {
        rolledBack = new RewindError('REWIND_E_ECS_CIRCUIT_BREAKER_ROLLBACK', `ECS rolled ${this.api.where} back to ${revisionOf(primary.taskDefinition)} instead of ${record.taskDefinition} (deployment circuit breaker${ours?.rolloutStateReason ? `: ${ours.rolloutStateReason}` : ''})`, {
          asked: record.taskDefinition,
          primary: revisionOf(primary.taskDefinition),
          failedTasks: ours?.failedTasks ?? null,
          rolloutState: ours?.rolloutState ?? null,
        });
      } else if (!rolledBack && primary?.rolloutState === 'FAILED') {
        rolledBack = new RewindError('REWIND_E_ECS_CIRCUIT_BREAKER_ROLLBACK', `the ECS deployment of ${record.taskDefinition} to ${this.api.where} FAILED (${primary.rolloutStateReason ?? 'deployment circuit breaker'}); ECS rolls back by itself`, {
          asked: record.taskDefinition,
          failedTasks: primary.failedTasks ?? null,
          rolloutState: 'FAILED',
        });
      }
      // What `aws ecs wait services-stable` accepts. rolloutState is absent for services not on the
      // ECS deployment controller: the counts decide then.
      const settled = primary && deployments.length === 1 && service.runningCount === service.desiredCount && (primary.rolloutState ?? 'COMPLETED') === 'COMPLETED';
      if (settled && rolledBack) throw new RewindError(rolledBack.code, `${rolledBack.message}; ECS's rollback has settled`, { ...rolledBack.details, settled: true });
      if (settled) return service;
      last = `${deployments.length} deployment(s), running ${service.runningCount}/${service.desiredCount}, primary ${revisionOf(primary?.taskDefinition)} rollout ${primary?.rolloutState ?? 'none'}`;
      if (Date.now() >= deadline) {
        if (rolledBack) throw new RewindError(rolledBack.code, `${rolledBack.message}; ECS's rollback had not settled after ${this.config.stableTimeoutMs} ms: ${last}`, { ...rolledBack.details, settled: false, last });
        throw new RewindError('REWIND_E_ECS_TIMEOUT', `ECS ${this.api.where} not stable on ${record.taskDefinition} after ${this.config.stableTimeoutMs} ms (stableTimeoutMs): ${last}`, { asked: record.taskDefinition, last });
      }
      await new Promise((r) => setTimeout(r, this.config.pollMs));
    }
  }

  /** Scales the service to 0 (writes stop before a restore); the count it had is kept for the next activate. */
  async stop(): Promise<Outcome> {
    try {
      const service = await this.api.service();
      const stopped = await this.state.stopped();
      if (!stopped) {
        if ((service.desiredCount ?? 0) === 0) return succeeded(`nothing to stop: ${this.api.where} has desired count 0`);
        await this.state.writeStopped(service.desiredCount!);
      }
      if (service.desiredCount !== 0) await this.api.update({ desiredCount: 0 });
      const deadline = Date.now() + this.config.stableTimeoutMs;
      for (let now = await this.api.service(); (now.runningCount ?? 0) > 0; now = await this.api.service()) {
        if (Date.now() >= deadline) throw new RewindError('REWIND_E_ECS_TIMEOUT', `ECS ${this.api.where} still runs ${now.runningCount} task(s) ${this.config.stableTimeoutMs} ms after desired count 0`, { running: now.runningCount });
        await new Promise((r) => setTimeout(r, this.config.pollMs));
      }
      return succeeded(`stopped ${this.api.where} (desired count 0; ${(await this.state.stopped())!.desiredCount} restored by the next activate)`);
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
  }

  /** Whether the service runs tasks (desired count above 0, tasks running) and was not stopped by rewind. */
  async running(): Promise<boolean> {
    const service = await this.api.service();
    return (service.desiredCount ?? 0) > 0 && (service.runningCount ?? 0) > 0 && (await this.state.stopped()) === null;
  }

  /** The service, cluster and region this target deploys to, for messages. */
  get where(): string {
    return this.api.where;
  }

  /** The release whose task definition the PRIMARY deployment runs (null: not one rewind prepared). */
  async activeVersion(): Promise<string | null> {
    const primary = primaryOf(await this.api.service());
    return (await this.state.records()).find((r) => r.taskDefinitionArn === primary?.taskDefinition)?.version ?? null;
  }

  /**
   * One entry per deployment with running tasks: during a rollout, both the old and the new revision.
   * Until rewind's first activation succeeds, a revision it never prepared is what ran before rewind
   * took the service over, not a disagreement: left out (as compose leaves out services it never pinned).
   */
  async servedVersions(): Promise<ServedProcess[] | null> {
    const [service, records] = await Promise.all([this.api.service(), this.state.records()]);
    const adopted = this.state.adopted();
    return (service.deployments ?? [])
      .filter((d) => (d.runningCount ?? 0) > 0)
      .map((d) => ({ d, version: records.find((r) => r.taskDefinitionArn === d.taskDefinition)?.version ?? null }))
      .filter(({ version }) => adopted || version !== null)
      .map(({ d, version }) => ({
        version,
        where: `ECS deployment ${d.id} (${d.status}, ${revisionOf(d.taskDefinition)}, ${d.runningCount}/${d.desiredCount} tasks)`,
      }));
  }

  async installedVersions(): Promise<string[]> {
    return (await this.state.records()).map((r) => r.version);
  }

  /** Forgets a prepared release. The task definition stays registered: rewind did not create it. */
  async remove(version: string): Promise<void> {
    if ((await this.activeVersion()) === version) throw new Error(`refusing to remove the active release ${version}`);
    if (await this.state.record(version)) await this.state.removeRecord(version);
  }

  async freeSpace(): Promise<FreeSpace> {
    return freeSpaceAt(this.config.stateDir);
  }

  /**
   * `release register --task-definition family:revision`: the revision's ARN and images, written as a
   * manifest directory named by its content. Images must be pinned by digest when requireDigests.
   */
  async artifactFromTaskDefinition(reference: string): Promise<string> {
    if (!/^[A-Za-z0-9_-]+:[0-9]+$/.test(reference) && !/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition\/[A-Za-z0-9_-]+:[0-9]+$/.test(reference)) {
      throw new RewindError('REWIND_E_USAGE', `--task-definition takes family:revision (or a task definition ARN), not ${JSON.stringify(reference)}: a family alone would pick whatever revision is latest now`, { argument: '--task-definition' });
    }
    const definition = await this.activeTaskDefinition(reference);
    const images: Record<string, string> = {};
    for (const container of definition.containerDefinitions ?? []) images[container.name!] = container.image!;
    const loose = Object.entries(images).filter(([, image]) => !DIGESTED.test(image));
    if (this.config.requireDigests && loose.length) {
      throw new RewindError('REWIND_E_IMAGE_DIGEST_REQUIRED', `task definition ${reference}: ${loose.map(([c, i]) => `${c}=${i}`).join(', ')} not pinned by digest, and this target requires digests: register a revision whose images are repository@sha256:<digest>`, { taskDefinition: reference, images: Object.fromEntries(loose) });
    }
    const manifest: TaskDefinitionManifest = { taskDefinitionArn: definition.taskDefinitionArn!, taskDefinition: `${definition.family}:${definition.revision}`, images };
    const content = JSON.stringify(manifest, null, 2) + '\n';
    return writeManifestDir(this.config.stateDir, MANIFEST_FILE, content);
  }

  async close(): Promise<void> {
    this.api.close();
  }

  private async activeTaskDefinition(reference: string) {
    const definition = await this.api.taskDefinition(reference);
    if (definition.status !== 'ACTIVE') {
      throw new RewindError('REWIND_E_ECS_TASK_DEFINITION_INACTIVE', `ECS task definition ${definition.family}:${definition.revision} is ${definition.status} (deregistered): it cannot start new tasks`, { taskDefinition: `${definition.family}:${definition.revision}`, status: definition.status });
    }
    return definition;
  }

  private recordSync(version: string): EcsRecord | null {
    try {
      return JSON.parse(readFileSync(this.state.recordFile(version), 'utf8')) as EcsRecord;
    } catch {
      return null;
    }
  }
}

function readManifest(path: string): TaskDefinitionManifest {
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as TaskDefinitionManifest;
    if (typeof manifest.taskDefinitionArn !== 'string' || typeof manifest.taskDefinition !== 'string') throw new Error('no taskDefinitionArn');
    return manifest;
  } catch (error) {
    throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `cannot read the task definition manifest ${path}: ${(error as Error).message}`, { path });
  }
}

/** `family:revision` of a task definition ARN. */
function revisionOf(arn: string | undefined): string {
  return arn?.split('/').pop() ?? 'none';
}
