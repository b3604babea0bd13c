import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRewindError, RewindError } from '../../../errors/rewind-error.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { ProgressReporter } from '../../../ports/step-progress.js';
import { DEFAULT_TARGET_CAPABILITIES, type ActionDescription, type FreeSpace, type ReleaseArtifact, type ServedProcess, type Target, type TargetCapabilities } from '../../../ports/target.js';
import { preparedManifest, writeManifestDir } from '../release-records.js';
import { VercelApi, type VercelDeployment, type VercelProject } from './vercel-api.js';
import { VERCEL_TARGET_TYPE, type VercelTargetConfig } from './vercel-config.js';
import { MANIFEST_FILE, VercelState, type DeploymentManifest, type VercelRecord } from './vercel-state.js';
import { freeSpaceAt } from '../free-space.js';

/** How `release register` names the deployment of a release; with neither, the deployment whose meta[metaKey] is the version. */
export interface DeploymentQuery {
  version: string;
  /** --deployment: a deployment id (dpl_...) or its URL. */
  deployment?: string;
  /** --commit: the git commit the deployment was built from (meta.githubCommitSha). */
  commit?: string;
}

const DEPLOYMENT_REFERENCE = /^(dpl_[A-Za-z0-9]{1,64}|(https?:\/\/)?[a-z0-9][a-z0-9.-]{0,250}\.[a-z]{2,}\/?)$/;
const COMMIT = /^[0-9a-f]{7,40}$/;
/** Pages of 100 deployments read back when looking for a meta value: the newest 1000. */
const META_PAGES = 10;

export class VercelTarget implements Target {
  readonly type = VERCEL_TARGET_TYPE;
  private readonly api: VercelApi;
  private readonly state: VercelState;

  constructor(
    private readonly config: VercelTargetConfig & { stateDir: string },
    readonly capabilities: TargetCapabilities = DEFAULT_TARGET_CAPABILITIES,
  ) {
    this.api = new VercelApi(config);
    this.state = new VercelState(config.stateDir);
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    return {
      summary: `prepare ${release.version}: check its Vercel deployment still exists and is READY`,
      commands: [],
      effects: [`read the manifest ${join(release.stored ?? release.artifact, MANIFEST_FILE)} and verify its digest`, `Vercel GET /v13/deployments/<its deployment id> (${this.api.where})`, `write ${this.state.recordFile(release.version)}`],
    };
  }

  describeActivate(version: string): ActionDescription {
    const deployment = this.state.recordSync(version)?.deploymentId ?? `the deployment of ${version}`;
    return {
      summary: `activate ${version}: promote ${deployment} to production of ${this.api.where}`,
      commands: [],
      effects: [
        `Vercel GET /v9/projects/${this.config.projectId}: what production serves now (nothing is promoted when it already serves ${deployment})`,
        `Vercel POST /v10/projects/<project id>/promote/${deployment} (no rebuild)`,
        `poll the project every ${this.config.pollMs} ms for up to ${this.config.promoteTimeoutMs} ms until targets.production is ${deployment} and the promote job (lastAliasRequest) succeeded`,
        `each API call: up to ${this.config.attempts} attempts on a 5xx, 429 or no answer within ${this.config.requestTimeoutMs} ms, each retry kept in this step's journal detail`,
      ],
    };
  }

  async prepare(release: ReleaseArtifact): Promise<Outcome> {
    try {
      const found = await preparedManifest(this.state, release, MANIFEST_FILE, 'deployment manifest', readManifest);
      if ('failure' in found) return found.failure;
      const { manifest, existing } = found;
      // Checked every time (a rollback's too): a deployment deleted since (retention) cannot be promoted.
      const deployment = await this.promotable(manifest.deploymentId);
      if (!existing) await this.state.writeRecord({ version: release.version, digest: release.digest, ...manifest });
      return succeeded(`${release.version}: Vercel deployment ${deployment.id} (${deployment.url}) is READY`, { deploymentId: deployment.id, url: deployment.url, reused: existing !== null, retries: this.api.takeRetries() });
    } catch (error) {
      return this.failure(error);
    }
  }

  async activate(version: string, progress?: ProgressReporter): Promise<Outcome> {
    const record = await this.state.record(version);
    if (!record) return failed(`${version} is not prepared (no ${this.state.recordFile(version)})`, undefined, 'REWIND_E_ARTIFACT_NOT_FOUND');
    this.api.takeRetries(); // retries of earlier reads belong to their own steps, not this one
    this.api.onRetry = (retry) => void progress?.({ message: `${retry.call}: ${retry.reason}; retrying (attempt ${retry.attempt + 1} of ${this.config.attempts})`, current: retry.attempt + 1, total: this.config.attempts });
    // Whether a call that may change the project was sent: a failure before it changed nothing.
    let sent = false;
    try {
      const started = performance.now();
      const project = await this.api.project();
      const paused = this.state.has('paused');
      const previous = project.production?.id ?? null;
      if (previous !== record.deploymentId) await this.promotable(record.deploymentId, project);
      sent = true;
      if (paused) await this.api.setPaused(project.id, false);
      // Already promoted (a repeated activate after a crash, or a rollback to what still serves): no new promote, only the check.
      if (previous !== record.deploymentId) {
        await this.api.promote(project.id, record.deploymentId);
        await this.waitProduction(record);
      }
      await this.state.set('paused', false);
      await this.state.set('adopted', true);
      return succeeded(`${version} serves production of ${this.api.where}: deployment ${record.deploymentId} (${record.url})`, {
        deploymentId: record.deploymentId,
        previous: previous ? ((await this.versionOf(previous)) ?? previous) : null,
        promoted: previous !== record.deploymentId,
        unpaused: paused,
        waitMs: Math.round(performance.now() - started),
        retries: this.api.takeRetries(),
      });
    } catch (error) {
      const outcome = this.failure(error);
      return sent ? outcome : { ...outcome, message: `${outcome.message}; nothing was changed`, unchanged: true };
    } finally {
      this.api.onRetry = () => undefined;
    }
  }

  /**
   * What `vercel promote` waits for (the project's lastAliasRequest job succeeded), and the thing the
   * job is about: the project's production target is the deployment asked for.
   */
  private async waitProduction(record: VercelRecord): Promise<VercelProject> {
    const deadline = Date.now() + this.config.promoteTimeoutMs;
    // Another job counts as superseding ours only once ours was seen: until then the last job may be an older one.
    let seenOurs = false;
    for (;;) {
      const project = await this.api.project();
      const job = project.lastAliasRequest;
      const ours = job?.toDeploymentId === record.deploymentId;
      seenOurs ||= ours;
      if (ours && job!.jobStatus === 'failed') {
        throw new RewindError('REWIND_E_VERCEL_PROMOTE_FAILED', `Vercel could not point every production domain of ${this.api.where} at ${record.deploymentId} (promote job failed); production is ${project.production?.id ?? 'none'}`, { deploymentId: record.deploymentId, production: project.production?.id ?? null, jobStatus: 'failed' });
      }
      if (job && !ours && seenOurs) {
        throw new RewindError('REWIND_E_VERCEL_PROMOTE_FAILED', `another promote or rollback of ${this.api.where} (to ${job.toDeploymentId}, ${job.type}) superseded rewind's promote of ${record.deploymentId}`, { deploymentId: record.deploymentId, other: job.toDeploymentId, type: job.type });
      }
      if (project.production?.id === record.deploymentId && (!ours || job!.jobStatus === 'succeeded')) return project;
      if (Date.now() >= deadline) {
        throw new RewindError('REWIND_E_VERCEL_TIMEOUT', `production of ${this.api.where} does not serve ${record.deploymentId} ${this.config.promoteTimeoutMs} ms after the promote (promoteTimeoutMs): production is ${project.production?.id ?? 'none'}, promote job ${job?.jobStatus ?? 'none'}`, { deploymentId: record.deploymentId, production: project.production?.id ?? null, jobStatus: job?.jobStatus ?? null });
      }
      await new Promise((r) => setTimeout(r, this.config.pollMs));
    }
  }

  /** Pauses the project (its production answers 503: writes stop before a restore); the next activate unpauses it. */
  async stop(): Promise<Outcome> {
    try {
      const project = await this.api.project();
      // Recorded before the call: a crash between the two leaves "paused" on record, and activate's unpause is harmless.
      await this.state.set('paused', true);
      await this.api.setPaused(project.id, true);
      return succeeded(`paused ${this.api.where}: its production answers 503 until the next activate unpauses it`, { retries: this.api.takeRetries() });
    } catch (error) {
      return this.failure(error);
    }
  }

  /** The release whose deployment production points at (null: one rewind never prepared, or none). */
  async activeVersion(): Promise<string | null> {
    const project = await this.api.project();
    return project.production ? this.versionOf(project.production.id) : null;
  }

  /**
   * Production, as the project says: one entry, or none while paused. Until rewind's first promote
   * succeeds, a deployment it never prepared is what ran before rewind took the project over, not a
   * disagreement: left out (as the ecs target leaves out revisions it never prepared).
   */
  async servedVersions(): Promise<ServedProcess[] | null> {
    const project = await this.api.project();
    if (!project.production || this.state.has('paused')) return [];
    const version = await this.versionOf(project.production.id);
    if (version === null && !this.state.has('adopted')) return [];
    return [{ version, where: `Vercel production of project ${project.name}: deployment ${project.production.id}${project.production.url ? ` (${project.production.url})` : ''}` }];
  }

  async installedVersions(): Promise<string[]> {
    return (await this.state.records()).map((r) => r.version);
  }

  /** release -> { deployment: dpl_... }, for `status`: which Vercel deployment each prepared release is. */
  async platformRevisions(): Promise<Record<string, Record<string, string>>> {
    return Object.fromEntries((await this.state.records()).map((r) => [r.version, { deployment: r.deploymentId }]));
  }

  /** Forgets a prepared release. The deployment stays on Vercel: rewind did not create it. */
  async remove(version: string): Promise<void> {
    if ((await this.activeVersion()) === version) throw new Error(`refusing to remove the active release ${version}`);
    if (await this.state.record(version)) await this.state.removeRecord(version);
  }

  async freeSpace(): Promise<FreeSpace> {
    return freeSpaceAt(this.config.stateDir);
  }

  /**
   * `release register` for a vercel target: finds the release's deployment (by --deployment, else by
   * --commit in meta.githubCommitSha, else by meta[metaKey] = version), checks it is a READY
   * production deployment of this project, and writes its manifest directory (named by content).
   */
  async artifactFromDeployment(query: DeploymentQuery): Promise<{ artifact: string; commit: string | null }> {
    if (query.deployment !== undefined && !DEPLOYMENT_REFERENCE.test(query.deployment)) {
      throw new RewindError('REWIND_E_USAGE', `--deployment takes a Vercel deployment id (dpl_...) or its URL, not ${JSON.stringify(query.deployment)}`, { argument: '--deployment' });
    }
    if (query.deployment === undefined && query.commit !== undefined && !COMMIT.test(query.commit)) {
      throw new RewindError('REWIND_E_USAGE', `--commit takes a git commit (7 to 40 hex digits) to find the Vercel deployment by, not ${JSON.stringify(query.commit)}`, { argument: '--commit' });
    }
    const project = await this.api.project();
    let deployment: VercelDeployment;
    let foundBy: string;
    if (query.deployment !== undefined) {
      deployment = await this.api.deployment(query.deployment.replace(/^https?:\/\//, '').replace(/\/$/, ''));
      foundBy = 'deployment';
    } else if (query.commit !== undefined) {
      deployment = await this.findOne((d) => (d.meta.githubCommitSha ?? '').startsWith(query.commit!), `built from commit ${query.commit} (meta.githubCommitSha)`, query.commit);
      foundBy = 'commit';
    } else {
      deployment = await this.findOne((d) => d.meta[this.config.metaKey] === query.version, `with meta ${this.config.metaKey}=${query.version}`);
      foundBy = `meta:${this.config.metaKey}`;
    }
    await this.promotable(deployment.id, project, deployment);
    const manifest: DeploymentManifest = {
      deploymentId: deployment.id,
      url: deployment.url,
      projectId: project.id,
      commit: deployment.meta.githubCommitSha ?? query.commit ?? null,
      foundBy,
      createdAt: deployment.createdAt,
    };
    this.api.takeRetries();
    const artifact = await writeManifestDir(this.config.stateDir, MANIFEST_FILE, JSON.stringify(manifest, null, 2) + '\n');
    return { artifact, commit: manifest.commit };
  }

  async close(): Promise<void> {}

  /**
   * The newest production deployment of the project that matches: the one a redeploy of the same
   * commit made last. Only production deployments can be promoted without a rebuild.
   */
  private async findOne(matches: (d: VercelDeployment) => boolean, what: string, sha?: string): Promise<VercelDeployment> {
    const found: VercelDeployment[] = [];
    let until: number | undefined;
    // A full SHA is filtered by the API (?sha=); a short one is matched here, page by page.
    const full = sha !== undefined && sha.length === 40;
    for (let page = 0; page < (full ? 1 : META_PAGES); page++) {
      const { deployments, next } = await this.api.deployments({ ...(full ? { sha } : {}), ...(until ? { until } : {}) });
      found.push(...deployments.filter(matches));
      if (!next || deployments.length === 0) break;
      until = next;
    }
    const production = found.filter((d) => d.target === 'production').sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
    if (production.length === 0) {
      const previews = found.length ? `; only preview deployments (${found.map((d) => d.id).join(', ')}), which promote would rebuild` : '';
      throw new RewindError('REWIND_E_VERCEL_NOT_FOUND', `no production deployment of Vercel project ${this.config.projectId} ${what}${previews}`, { project: this.config.projectId, query: what });
    }
    return production.find((d) => d.readyState === 'READY') ?? production[0]!;
  }

  /** The deployment, checked to be READY and of this project: what promote accepts. */
  private async promotable(deploymentId: string, project?: VercelProject, known?: VercelDeployment): Promise<VercelDeployment> {
    const deployment = known?.projectId ? known : await this.api.deployment(deploymentId);
    const projectId = project?.id ?? null;
    if (projectId && deployment.projectId && deployment.projectId !== projectId) {
      throw new RewindError('REWIND_E_VERCEL_NOT_FOUND', `Vercel deployment ${deploymentId} belongs to project ${deployment.projectId}, not ${this.config.projectId}`, { deployment: deploymentId, project: this.config.projectId, owner: deployment.projectId });
    }
    if (deployment.readyState !== 'READY') {
      throw new RewindError('REWIND_E_VERCEL_DEPLOYMENT_NOT_READY', `Vercel deployment ${deploymentId} (${deployment.url}) is ${deployment.readyState}, not READY: it cannot be promoted`, { deployment: deploymentId, readyState: deployment.readyState });
    }
    return deployment;
  }

  private async versionOf(deploymentId: string): Promise<string | null> {
    return (await this.state.records()).find((r) => r.deploymentId === deploymentId)?.version ?? null;
  }

  private failure(error: unknown): Outcome {
    const retries = this.api.takeRetries();
    if (isRewindError(error)) return failed(error.message, { ...error.details, ...(retries.length ? { retries } : {}) }, error.code);
    throw error;
  }
}

function readManifest(path: string): DeploymentManifest {
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as DeploymentManifest;
    if (typeof manifest.deploymentId !== 'string') throw new Error('no deploymentId');
    return manifest;
  } catch (error) {
    throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `cannot read the deployment manifest ${path}: ${(error as Error).message}`, { path });
  }
}
