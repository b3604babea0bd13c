import { existsSync, readFileSync } from 'node:fs';
import { mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectArtifact } from '../../../artifacts/artifact-digest.js';
import { isRewindError, RewindError } from '../../../errors/rewind-error.js';
import type { CommandResult, CommandSpec, Executor } from '../../../ports/executor.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import { DEFAULT_TARGET_CAPABILITIES, type ActionDescription, type FreeSpace, type ReleaseArtifact, type Target, type TargetCapabilities } from '../../../ports/target.js';
import { HELM_TARGET_TYPE, type HelmTargetConfig } from './helm-config.js';
import { HelmState, MANIFEST_FILE, type HelmManifest, type HelmRecord } from './helm-state.js';

/** One entry of `helm history <release> -o json`. */
export interface HistoryEntry {
  revision: number;
  updated: string;
  status: string;
  chart: string;
  app_version: string;
  description: string;
}

export class HelmTarget implements Target {
  readonly type = HELM_TARGET_TYPE;
  private readonly state: HelmState;

  constructor(
    private readonly config: HelmTargetConfig & { stateDir: string },
    private readonly executor: Executor,
    readonly capabilities: TargetCapabilities = { ...DEFAULT_TARGET_CAPABILITIES, nativeRollback: true },
  ) {
    this.state = new HelmState(config.stateDir);
  }

  /** --namespace, --kubeconfig, --kube-context: on every call. */
  private scope(): string[] {
    return ['-n', this.config.namespace, ...(this.config.kubeconfig ? ['--kubeconfig', this.config.kubeconfig] : []), ...(this.config.context ? ['--kube-context', this.config.context] : [])];
  }
  private command(args: string[]): CommandSpec {
    return { argv: [this.config.helm, ...args, ...this.scope()], timeoutMs: this.config.commandTimeoutMs };
  }
  upgradeCommand(record: HelmManifest, extraSet: readonly string[] = []): CommandSpec {
    const sets = [...Object.entries(record.values).map(([k, v]) => `${k}=${v}`), ...extraSet].flatMap((pair) => ['--set', pair]);
    return this.command(['upgrade', '--install', this.config.release, this.config.chart, '--version', record.chartVersion, '--wait', '--timeout', this.config.timeout, ...this.config.valuesFiles.flatMap((f) => ['-f', f]), ...sets]);
  }
  rollbackCommand(revision: number): CommandSpec {
    return this.command(['rollback', this.config.release, String(revision), '--wait', '--timeout', this.config.timeout]);
  }
  historyCommand(): CommandSpec {
    return this.command(['history', this.config.release, '-o', 'json']);
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    return {
      summary: `prepare ${release.version}: read its chart version and values`,
      commands: [],
      effects: [`read ${join(release.stored ?? release.artifact, MANIFEST_FILE)} and verify its digest`, `write ${this.state.recordFile(release.version)}`],
    };
  }

  describeActivate(version: string): ActionDescription {
    const record = this.state.recordSync(version);
    const revision = this.deployedRevisionOf(version);
    const commands = [this.historyCommand(), revision !== null ? this.rollbackCommand(revision) : this.upgradeCommand(record ?? { chartVersion: `<chart version of ${version}>`, values: {} }), this.historyCommand()];
    return {
      summary: revision !== null ? `activate ${version}: helm rollback ${this.config.release} to revision ${revision} (where ${version} last ran)` : `activate ${version}: helm upgrade --install ${this.config.release} ${this.config.chart} --version ${record?.chartVersion ?? '?'}`,
      commands,
      effects: [
        `refuse if the release's last revision is pending-* (another operation in progress)${this.config.recoverPending ? '; recoverPending: first helm rollback to the last deployed revision' : ''}`,
        `record the new Helm revision -> ${version} in ${this.state.revisionsFile}`,
      ],
    };
  }

  /**
   * The latest revision `version` ran as that ended `deployed` (not failed, not pending, not stop's):
   * where a rollback goes. Read from what rewind recorded, not from today's history: Helm marks the
   * revision a rollback leaves `superseded` even when it had failed (pkg/action/rollback.go).
   */
  private deployedRevisionOf(version: string): number | null {
    const revisions = this.state.revisions();
    const candidates = Object.entries(revisions)
      .filter(([, e]) => e.version === version && !e.stopped && e.status === 'deployed')
      .map(([r]) => Number(r))
            .sort((a, b) => b - a);
    return candidates[0] ?? null;
  }

  async prepare(release: ReleaseArtifact): Promise<Outcome> {
    const existing = await this.state.record(release.version);
    if (existing && existing.digest !== release.digest) {
      return failed(`${release.version} was prepared from digest ${existing.digest}, not the registered ${release.digest}`, { record: this.state.recordFile(release.version) }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH');
    }
    if (existing) return succeeded(`${release.version}: chart ${this.config.chart} ${existing.chartVersion} (prepared before)`, { reused: true });
    const source = [release.stored, release.artifact].find((p): p is string => !!p && existsSync(join(p, MANIFEST_FILE)));
    if (!source) return failed(`the helm release manifest of ${release.version} is gone (${[release.stored, release.artifact].filter(Boolean).join(', ')})`, { artifact: release.artifact, stored: release.stored ?? null }, 'REWIND_E_ARTIFACT_NOT_FOUND');
    const inspection = await inspectArtifact(source);
    if (inspection.digest !== release.digest) {
      return failed(`${source} has digest ${inspection.digest}, but ${release.version} was registered with ${release.digest}`, { artifact: source, expected: release.digest, actual: inspection.digest }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH');
    }
    let manifest: HelmManifest;
    try {
      manifest = readManifest(join(source, MANIFEST_FILE));
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
    await this.state.writeRecord({ version: release.version, digest: release.digest, ...manifest });
    return succeeded(`${release.version}: chart ${this.config.chart} ${manifest.chartVersion}`, { chartVersion: manifest.chartVersion, values: manifest.values, reused: false });
  }

  async activate(version: string): Promise<Outcome> {
    const record = await this.state.record(version);
    if (!record) return failed(`${version} is not prepared (no ${this.state.recordFile(version)})`, undefined, 'REWIND_E_ARTIFACT_NOT_FOUND');
    try {
      return await this.apply(record);
    } catch (error) {
      if (isRewindError(error)) return { ...failed(error.message, error.details, error.code), unchanged: error.code === 'REWIND_E_HELM_RELEASE_PENDING' };
      throw error;
    }
  }

  private async apply(record: HelmRecord, extraSet: readonly string[] = [], stopped = false): Promise<Outcome> {
    const steps: Record<string, unknown>[] = [];
    let history = await this.history();
    const last = history.at(-1);
    if (last?.status.startsWith('pending-')) {
      if (!this.config.recoverPending) throw pendingError(this.config, last, history);
      // The journaled recovery: Helm's own advice (helm/helm#4558) is a rollback to the last deployed revision.
      const good = [...history].reverse().find((h) => h.status === 'deployed' || h.status === 'superseded');
      if (!good) throw pendingError(this.config, last, history);
      await this.run(this.rollbackCommand(good.revision));
      history = await this.history();
      const made = history.at(-1)!;
      const entry = this.state.revisions()[String(good.revision)];
      if (entry) await this.state.recordRevision(made.revision, { ...entry, status: made.status });
      steps.push({ recovered: { stuckRevision: last.revision, stuckStatus: last.status, rolledBackTo: good.revision, newRevision: made.revision } });
    }
    const deployed = lastDeployed(history);
    const current = deployed ? this.state.revisions()[String(deployed.revision)] : undefined;
    if (deployed && current?.version === record.version && !!current.stopped === stopped && extraSet.length === 0) {
      return succeeded(`${record.version} already runs (revision ${deployed.revision} of ${this.config.release})`, { revision: deployed.revision, steps });
    }
    const revision = stopped ? null : this.deployedRevisionOf(record.version);
    const command = revision !== null ? this.rollbackCommand(revision) : this.upgradeCommand(record, extraSet);
    const result = await this.executor.run(command);
    const after = await this.history();
    const made = after.at(-1);
    // Recorded even when it failed: `status` shows which revision each release got, and a failed
    // revision is never a rollback's destination (deployedRevisionOf reads its status).
    if (made && made.revision !== last?.revision && made.revision > (history.at(-1)?.revision ?? 0)) await this.state.recordRevision(made.revision, { version: record.version, status: made.status, ...(stopped ? { stopped: true } : {}) });
    if (result.exitCode !== 0) {
      throw new RewindError('REWIND_E_HELM_FAILED', `helm ${command.argv[1]} of ${this.config.release} (${record.version}) failed: ${tail(result.stderr)}${made ? `; revision ${made.revision} is ${made.status}` : ''}`, { release: this.config.release, version: record.version, revision: made?.revision ?? null, status: made?.status ?? null, exitCode: result.exitCode });
    }
    return succeeded(`${record.version} runs as revision ${made?.revision} of ${this.config.release}${revision !== null ? ` (helm rollback to revision ${revision})` : ''}`, { revision: made?.revision, rolledBackTo: revision, steps });
  }

  async stop(): Promise<Outcome> {
    const active = await this.activeVersion().catch(() => null);
    if (!active) return succeeded('nothing to stop: no release of rewind is deployed');
    const record = await this.state.record(active);
    if (!record) return failed(`${active} is not prepared (no ${this.state.recordFile(active)})`, undefined, 'REWIND_E_ARTIFACT_NOT_FOUND');
    const deployed = lastDeployed(await this.history());
    if (deployed && this.state.revisions()[String(deployed.revision)]?.stopped) return succeeded(`${active} is already stopped (revision ${deployed.revision})`);
    try {
      return await this.apply(record, this.config.stopSet, true);
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
  }

  /** The release of the deployed revision (what `helm status` reports), via the recorded mapping; null when none or not rewind's. */
  async activeVersion(): Promise<string | null> {
    const deployed = lastDeployed(await this.history());
    return deployed ? (this.state.revisions()[String(deployed.revision)]?.version ?? null) : null;
  }

  /** release -> { <release name>: the revision it last ran as }, for `status`. */
  async platformRevisions(): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [revision, entry] of Object.entries(this.state.revisions())) if (!entry.stopped) out[entry.version] = { [this.config.release]: revision };
    return out;
  }

  installedVersions(): Promise<string[]> {
    return this.state.versions();
  }

  async remove(version: string): Promise<void> {
    if ((await this.activeVersion()) === version) throw new Error(`refusing to remove the active release ${version}`);
    if (await this.state.record(version)) await this.state.removeRecord(version);
  }

  async freeSpace(): Promise<FreeSpace> {
    await mkdir(this.config.stateDir, { recursive: true });
    const stats = await statfs(this.config.stateDir);
    return { bytes: stats.bavail * stats.bsize, path: this.config.stateDir };
  }

  /** `helm history -o json`; a release never installed ("release: not found") is an empty history. */
  async history(): Promise<HistoryEntry[]> {
    const result = await this.executor.run(this.historyCommand());
    if (result.exitCode !== 0) {
      if (/release: not found/.test(result.stderr)) return [];
      throw new RewindError('REWIND_E_HELM_FAILED', `helm history ${this.config.release} -n ${this.config.namespace} failed: ${tail(result.stderr)}`, { release: this.config.release, exitCode: result.exitCode });
    }
    return (JSON.parse(result.stdout) as HistoryEntry[]).sort((a, b) => a.revision - b.revision);
  }

  private async run(command: CommandSpec): Promise<CommandResult> {
    const result = await this.executor.run(command);
    if (result.exitCode !== 0) throw new RewindError('REWIND_E_HELM_FAILED', `helm ${command.argv[1]} of ${this.config.release} failed: ${tail(result.stderr)}`, { release: this.config.release, exitCode: result.exitCode });
    return result;
  }

  async close(): Promise<void> {
    // Nothing held open: every call is its own process.
  }
}

/** The revision Helm serves (at most one is `deployed`). */
function lastDeployed(history: readonly HistoryEntry[]): HistoryEntry | undefined {
  return [...history].reverse().find((h) => h.status === 'deployed');
}

function pendingError(config: HelmTargetConfig, last: HistoryEntry, history: HistoryEntry[]): RewindError {
  const good = [...history].reverse().find((h) => h.status === 'deployed' || h.status === 'superseded');
  return new RewindError(
    'REWIND_E_HELM_RELEASE_PENDING',
    `helm release ${config.release} (namespace ${config.namespace}) is stuck: revision ${last.revision} is ${last.status} (an interrupted helm; every helm operation would fail with "another operation (install/upgrade/rollback) is in progress"). Nothing was changed. ${good ? `Recover with target.recoverPending: true (a journaled helm rollback to revision ${good.revision})` : 'No revision was ever deployed, so there is nothing to roll back to: `helm uninstall` the release by hand (it deletes what the chart created), then deploy again'}`,
    { release: config.release, namespace: config.namespace, stuckRevision: last.revision, status: last.status, lastDeployedRevision: good?.revision ?? null },
  );
}

function readManifest(path: string): HelmManifest {
  let manifest: HelmManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as HelmManifest;
  } catch (error) {
    throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `cannot read the helm release manifest ${path}: ${(error as Error).message}`, { path });
  }
  if (typeof manifest.chartVersion !== 'string' || !manifest.chartVersion) throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `${path} has no chartVersion`, { path });
  return { chartVersion: manifest.chartVersion, values: manifest.values ?? {} };
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ').slice(0, 1000);
}
