import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRewindError, RewindError } from '../../../errors/rewind-error.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { ProgressReporter } from '../../../ports/step-progress.js';
import { DEFAULT_TARGET_CAPABILITIES, type ActionDescription, type FreeSpace, type ReleaseArtifact, type ServedProcess, type Target, type TargetCapabilities } from '../../../ports/target.js';
import { preparedManifest, writeManifestDir } from '../release-records.js';
import { FAILED, IN_PROGRESS, RailwayApi, type RailwayDeployment } from './railway-api.js';
import { RAILWAY_TARGET_TYPE, type RailwayTargetConfig } from './railway-config.js';
import { MANIFEST_FILE, RailwayState, type DeploymentManifest, type RailwayRecord } from './railway-state.js';
import { freeSpaceAt } from '../free-space.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMMIT = /^[0-9a-f]{7,40}$/i;
/** What serves: SLEEPING is a serverless service asleep between requests, still the one that answers. */
const LIVE = new Set(['SUCCESS', 'SLEEPING']);

export class RailwayTarget implements Target {
  readonly type = RAILWAY_TARGET_TYPE;
  private readonly api: RailwayApi;
  private readonly state: RailwayState;
  private progress: ProgressReporter | undefined;

  constructor(
    private readonly config: RailwayTargetConfig & { stateDir: string },
    readonly capabilities: TargetCapabilities = { ...DEFAULT_TARGET_CAPABILITIES, nativeRollback: true },
  ) {
    this.api = new RailwayApi(config, (retry) => void this.progress?.({ message: `Railway ${retry.operation}: ${retry.reason}; attempt ${retry.attempt + 1} of ${config.attempts} in ${retry.waitMs} ms`, current: retry.attempt, total: config.attempts }));
    this.state = new RailwayState(config.stateDir);
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    return {
      summary: `prepare ${release.version}: check its Railway deployment still exists in service ${this.config.serviceId} / environment ${this.config.environmentId}`,
      commands: [],
      effects: [`read the manifest ${join(release.stored ?? release.artifact, MANIFEST_FILE)} and verify its digest`, 'Railway query deployment(id)', `write ${this.state.recordFile(release.version)}`],
    };
  }

  describeActivate(version: string): ActionDescription {
    const deployment = this.state.recordSync(version)?.deploymentId ?? `the deployment of ${version}`;
    return {
      summary: `activate ${version}: make Railway deployment ${deployment} the one ${this.api.where} runs`,
      commands: [],
      effects: [
        `Railway query deployments(input: {projectId, environmentId, serviceId}): already live, nothing to do; still building, wait for it`,
        `otherwise mutation deploymentRollback(id: ${deployment}) (Railway restores its image and the service variables; needs canRollback)${this.config.redeployWhenRollbackUnavailable ? ', or deploymentRedeploy when canRollback is false' : '; canRollback false is REWIND_E_RAILWAY_ROLLBACK_UNAVAILABLE'}`,
        `poll deployment(id){status} every ${this.config.pollMs} ms for up to ${this.config.deployTimeoutMs} ms until SUCCESS, then ${this.config.settleMs} ms more without CRASHED; FAILED, CRASHED or REMOVED fail the activation`,
      ],
    };
  }

  async prepare(release: ReleaseArtifact): Promise<Outcome> {
    try {
      const found = await preparedManifest(this.state, release, MANIFEST_FILE, 'deployment manifest', readManifest);
      if ('failure' in found) return found.failure;
      const { manifest, existing } = found;
      this.ourScope(manifest);
      // Checked every time (a rollback's too): a deployment past the image retention cannot come back.
      const deployment = await this.api.deployment(manifest.deploymentId);
      this.usable(deployment, release.version);
      if (!existing) await this.state.writeRecord({ version: release.version, digest: release.digest, ...manifest, derived: [] });
      return succeeded(`${release.version}: Railway deployment ${deployment.id} is ${deployment.status}${deployment.canRollback ? ', canRollback' : ''}`, { deployment: deployment.id, status: deployment.status, canRollback: deployment.canRollback, reused: existing !== null, retries: this.api.takeRetries() });
    } catch (error) {
      return this.failure(error);
    }
  }

  async activate(version: string, progress?: ProgressReporter): Promise<Outcome> {
    let record = await this.state.record(version);
    if (!record) return failed(`${version} is not prepared (no ${this.state.recordFile(version)})`, undefined, 'REWIND_E_ARTIFACT_NOT_FOUND');
    this.progress = progress;
    try {
      const started = performance.now();
      const list = await this.api.deployments();
      if (record.pending) {
        // An earlier activate sent deploymentRollback and stopped before recording what it made.
        const made = list.find(madeBy(record, record.pending));
        if (made) await this.state.addDerived(version, made.id);
        else await this.state.setPending(version, null);
        record = (await this.state.record(version))!;
      }
      const active = activeOf(list);
      const ours = new Set([record.deploymentId, ...record.derived]);
      let target: RailwayDeployment;
      let action: string;
      if (active && ours.has(active.id) && !active.deploymentStopped) {
        // Already live (a repeated activate after a crash, or Railway deployed it on push): nothing to change.
        await this.state.markAdopted();
        return succeeded(`${version} already runs on ${this.api.where}: deployment ${active.id} ${active.status}`, { deployment: active.id, action: 'none', retries: this.api.takeRetries() });
      } else if (active && ours.has(active.id)) {
        // Stopped by `stop` (before a database restore): the same deployment starts again.
        await this.api.restart(active.id);
        [target, action] = [active, 'deploymentRestart'];
      } else {
        const building = list.find((d) => ours.has(d.id) && IN_PROGRESS.has(d.status));
        if (building) [target, action] = [building, 'wait'];
        else {
          const originalId = record.deploymentId;
          const original = list.find((d) => d.id === originalId) ?? (await this.api.deployment(originalId));
          this.usable(original, version);
          if (original.canRollback) [target, action] = [await this.rollbackTo(original, record, list), 'deploymentRollback'];
          else {
            target = await this.api.redeploy(original.id);
            await this.state.addDerived(version, target.id);
            action = 'deploymentRedeploy';
          }
        }
      }
      const live = await this.waitLive(target.id, version);
      await this.state.markAdopted();
      return succeeded(`${version} runs on ${this.api.where}: deployment ${live.id} ${live.status}${target.id !== record.deploymentId ? ` (made by ${action} of ${record.deploymentId})` : ''}`, {
        deployment: live.id,
        of: record.deploymentId,
        action,
        previous: active?.id ?? null,
        waitMs: Math.round(performance.now() - started),
        retries: this.api.takeRetries(),
      });
    } catch (error) {
      return this.failure(error);
    } finally {
      this.progress = undefined;
    }
  }

  /**
   * deploymentRollback answers true or false, not the deployment it makes: the new one is the
   * deployment that was not in the list before (with the release's commit, when it has one). A
   * mutation that got no answer may still have happened, so the list is read before it is sent again.
   */
  private async rollbackTo(original: RailwayDeployment, record: RailwayRecord, before: RailwayDeployment[]): Promise<RailwayDeployment> {
    const isNew = madeBy(record, before.map((d) => d.id));
    await this.state.setPending(record.version, before.map((d) => d.id));
    for (let attempt = 1; ; attempt++) {
      let sent: RewindError | null = null;
      try {
        if (!(await this.api.rollback(original.id))) throw new RewindError('REWIND_E_RAILWAY_API', `Railway answered false to deploymentRollback of ${original.id}`, { deployment: original.id });
      } catch (error) {
        const transient = isRewindError(error) && (error.code === 'REWIND_E_RAILWAY_UNREACHABLE' || (error.code === 'REWIND_E_RAILWAY_API' && typeof error.details.httpStatus === 'number' && (error.details.httpStatus >= 500 || error.details.httpStatus === 429)));
        if (!transient) throw error;
        sent = error as RewindError;
      }
      // The new deployment shows in the list within moments; a few reads, a poll apart.
      for (let look = 0; look < 5; look++) {
        const fresh = (await this.api.deployments()).find(isNew);
        if (fresh) {
          await this.state.addDerived(record.version, fresh.id);
          return fresh;
        }
        if (sent) break;
        await new Promise((r) => setTimeout(r, this.config.pollMs));
      }
      if (!sent) throw new RewindError('REWIND_E_RAILWAY_API', `Railway accepted deploymentRollback of ${original.id}, but no new deployment of ${this.api.where} appeared`, { deployment: original.id });
      if (attempt >= this.config.attempts) throw sent;
      void this.progress?.({ message: `Railway deploymentRollback: ${sent.message}; no new deployment appeared, sending it again`, current: attempt, total: this.config.attempts });
    }
  }

  /** SUCCESS, and still up `settleMs` later: a deployment that crashes right after starting is a failed one. */
  private async waitLive(id: string, version: string): Promise<RailwayDeployment> {
    const deadline = Date.now() + this.config.deployTimeoutMs;
    let liveSince: number | null = null;
    let last = '';
    for (;;) {
      const deployment = await this.api.deployment(id);
      if (deployment.status !== last) void this.progress?.({ message: `Railway deployment ${id}: ${deployment.status}` });
      last = deployment.status;
      if (LIVE.has(deployment.status) && !deployment.deploymentStopped) {
        liveSince ??= Date.now();
        if (Date.now() - liveSince >= this.config.settleMs) return deployment;
      } else if (FAILED.has(deployment.status)) {
        throw new RewindError('REWIND_E_RAILWAY_DEPLOY_FAILED', `Railway deployment ${id} of ${version} ended ${deployment.status}${liveSince !== null ? ` ${Date.now() - liveSince} ms after it went live` : ''} on ${this.api.where}`, { deployment: id, status: deployment.status, version });
      } else liveSince = null;
      if (Date.now() >= deadline) {
        throw new RewindError('REWIND_E_RAILWAY_TIMEOUT', `Railway deployment ${id} of ${version} not live after ${this.config.deployTimeoutMs} ms (deployTimeoutMs): last status ${deployment.status}`, { deployment: id, status: deployment.status, version });
      }
      await new Promise((r) => setTimeout(r, this.config.pollMs));
    }
  }

  /** Stops the live deployment (writes stop before a restore); the next activate restarts it. */
  async stop(): Promise<Outcome> {
    try {
      const active = activeOf(await this.api.deployments());
      if (!active) return succeeded(`nothing to stop: no deployment of ${this.api.where} is live`);
      if (!active.deploymentStopped) await this.api.stop(active.id);
      return succeeded(`stopped Railway deployment ${active.id} of ${this.api.where} (deploymentStop; the next activate restarts it)`, { deployment: active.id, retries: this.api.takeRetries() });
    } catch (error) {
      return this.failure(error);
    }
  }

  /** The release of the deployment Railway serves (the newest live one), null when it is not one rewind prepared. */
  async activeVersion(): Promise<string | null> {
    return this.state.versionOf(activeOf(await this.api.deployments())?.id);
  }

  /**
   * One entry per live, running deployment: two while Railway overlaps the old and the new one.
   * Until rewind's first activation succeeds, a deployment it never prepared is what ran before
   * rewind took the service over, not a disagreement: left out (as the ecs target does).
   */
  async servedVersions(): Promise<ServedProcess[] | null> {
    const running = (await this.api.deployments()).filter((d) => LIVE.has(d.status) && !d.deploymentStopped);
    const adopted = this.state.adopted();
    const served = await Promise.all(
      running.map(async (d) => ({
        version: await this.state.versionOf(d.id),
        where: `Railway deployment ${d.id} (${d.status}${typeof d.meta?.commitHash === 'string' ? `, commit ${d.meta.commitHash.slice(0, 12)}` : ''}) of ${this.api.where}`,
      })),
    );
    return served.filter((s) => adopted || s.version !== null);
  }

  /** release -> the Railway deployments that run it (its own and those rollbacks made), for `status`. */
  async platformRevisions(): Promise<Record<string, Record<string, string>>> {
    return Object.fromEntries((await this.state.records()).map((r) => [r.version, { [`service ${r.serviceId}`]: [r.deploymentId, ...r.derived].join(', ') }]));
  }

  async installedVersions(): Promise<string[]> {
    return (await this.state.records()).map((r) => r.version);
  }

  /** Forgets a prepared release. Its deployments stay in Railway's history: rewind did not make the first. */
  async remove(version: string): Promise<void> {
    if ((await this.activeVersion()) === version) throw new Error(`refusing to remove the active release ${version}`);
    if (await this.state.record(version)) await this.state.removeRecord(version);
  }

  async freeSpace(): Promise<FreeSpace> {
    return freeSpaceAt(this.config.stateDir);
  }

  /**
   * `release register --deployment <id | commit SHA>`: the Railway deployment of the service in the
   * environment (by id, or the newest one built from that commit), written as a manifest directory
   * named by its content. Checks the service, environment and token first; writes nothing on error.
   */
  /** `--deployment <id | commit>` (else `--commit`): the deployment's manifest directory and the commit Railway built it from. */
  async artifactFromDeployment(query: { version: string; deployment?: string; commit?: string }): Promise<{ artifact: string; commit: string | null }> {
    const reference = query.deployment ?? query.commit;
    if (reference === undefined) throw new RewindError('REWIND_E_USAGE', `release register for a railway target needs --deployment <deployment id | git commit SHA> (or --commit SHA)`, { argument: '--deployment' });
    if (!UUID.test(reference) && !COMMIT.test(reference)) {
      throw new RewindError('REWIND_E_USAGE', `--deployment takes a Railway deployment id (a UUID) or a git commit SHA (7 to 40 hex digits), not ${JSON.stringify(reference)}`, { argument: '--deployment' });
    }
    await this.api.scope();
    let deployment: RailwayDeployment;
    if (UUID.test(reference)) {
      deployment = await this.api.deployment(reference);
      if (deployment.serviceId !== this.config.serviceId || deployment.environmentId !== this.config.environmentId) {
        throw new RewindError('REWIND_E_RAILWAY_NOT_FOUND', `Railway deployment ${reference} is of service ${deployment.serviceId} in environment ${deployment.environmentId}, not of ${this.api.where}`, { deployment: reference });
      }
    } else {
      const list = await this.api.deployments(100);
      const match = list.find((d) => typeof d.meta?.commitHash === 'string' && d.meta.commitHash.toLowerCase().startsWith(reference.toLowerCase()));
      if (!match) throw new RewindError('REWIND_E_RAILWAY_NOT_FOUND', `no deployment of commit ${reference} among the last ${list.length} deployments of ${this.api.where}`, { commit: reference });
      deployment = match;
    }
    this.usable(deployment, reference);
    const manifest: DeploymentManifest = {
      deploymentId: deployment.id,
      projectId: this.config.projectId,
      environmentId: this.config.environmentId,
      serviceId: this.config.serviceId,
      commit: typeof deployment.meta?.commitHash === 'string' ? deployment.meta.commitHash : null,
      image: typeof deployment.meta?.image === 'string' ? deployment.meta.image : null,
    };
    return { artifact: await writeManifestDir(this.config.stateDir, MANIFEST_FILE, JSON.stringify(manifest, null, 2) + '\n'), commit: manifest.commit };
  }

  async close(): Promise<void> {}

  /** A deployment that never ran, or one Railway can no longer bring back, is refused before anything changes. */
  private usable(deployment: RailwayDeployment, what: string): void {
    if (deployment.status === 'FAILED' || deployment.status === 'SKIPPED') {
      throw new RewindError('REWIND_E_RAILWAY_DEPLOY_FAILED', `Railway deployment ${deployment.id} (${what}) is ${deployment.status}: it never ran, so it cannot be a release`, { deployment: deployment.id, status: deployment.status });
    }
    const comesBack = IN_PROGRESS.has(deployment.status) || LIVE.has(deployment.status) || deployment.canRollback || this.config.redeployWhenRollbackUnavailable;
    if (!comesBack) {
      throw new RewindError('REWIND_E_RAILWAY_ROLLBACK_UNAVAILABLE', `Railway deployment ${deployment.id} (${what}) is ${deployment.status} and canRollback is false (its image is past the plan's retention): it cannot be brought back as it was`, { deployment: deployment.id, status: deployment.status });
    }
  }

  private ourScope(manifest: DeploymentManifest): void {
    const { projectId, environmentId, serviceId } = this.config;
    if (manifest.projectId !== projectId || manifest.environmentId !== environmentId || manifest.serviceId !== serviceId) {
      throw new RewindError('REWIND_E_RAILWAY_NOT_FOUND', `the release's deployment ${manifest.deploymentId} is of service ${manifest.serviceId} in environment ${manifest.environmentId}, not of ${this.api.where}`, { deployment: manifest.deploymentId });
    }
  }

  private failure(error: unknown): Outcome {
    const retries = this.api.takeRetries();
    if (isRewindError(error)) return failed(error.message, { ...error.details, retries }, error.code);
    throw error;
  }

}

/** A deployment that was not among `known` and carries the release's commit (when it has one): what a rollback to it made. */
function madeBy(record: RailwayRecord, known: string[]): (d: RailwayDeployment) => boolean {
  const before = new Set(known);
  return (d) => !before.has(d.id) && (!record.commit || d.meta?.commitHash === record.commit);
}

/** The deployment Railway serves: the newest live one (an older one may overlap it for a while). */
function activeOf(list: RailwayDeployment[]): RailwayDeployment | undefined {
  return list.find((d) => LIVE.has(d.status));
}

function readManifest(path: string): DeploymentManifest {
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as DeploymentManifest;
    if (typeof manifest.deploymentId !== 'string' || typeof manifest.serviceId !== 'string') throw new Error('no deploymentId');
    return manifest;
  } catch (error) {
    throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `cannot read the deployment manifest ${path}: ${(error as Error).message}`, { path });
  }
}
