import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { inspectArtifact } from '../../../artifacts/artifact-digest.js';
import { isRewindError, RewindError } from '../../../errors/rewind-error.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { ProgressReporter } from '../../../ports/step-progress.js';
import { DEFAULT_TARGET_CAPABILITIES, type ActionDescription, type FreeSpace, type ReleaseArtifact, type ServedProcess, type Target, type TargetCapabilities } from '../../../ports/target.js';
import { parseImageReference, pinned } from '../compose/image-reference.js';
import { KubeApi } from './kube-api.js';
import { KUBERNETES_TARGET_TYPE, type KubernetesTargetConfig } from './kubernetes-config.js';
import { KubernetesState, MANIFEST_FILE, type KubeReleaseRecord } from './kubernetes-state.js';
import { rolloutState } from './rollout-status.js';
import { writeManifestDir } from '../release-records.js';
import { freeSpaceAt } from '../free-space.js';

export type ResolvedKubernetesConfig = KubernetesTargetConfig & { stateDir: string };

/** The pod-template annotation naming the release a template is: copied to every pod, read back by status. */
export const VERSION_ANNOTATION = 'rewind.dev/version';
/** The Deployment annotation keeping its replica count while `stop` has it scaled to 0. */
export const REPLICAS_ANNOTATION = 'rewind.dev/replicas';
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
const POLL_MS = 250;

/**
 * Deployments in one namespace. A release is `deployment/container -> image@digest` for one or
 * more Deployments (images.json, registered as the release's artifact). Activate patches every
 * Deployment's pod template (images and the rewind.dev/version annotation) with a strategic merge
 * patch, then waits for each rollout as `kubectl rollout status` decides (rollout-status.ts).
 * A rollback is the core activating the LKG: its recorded images, never "revision - 1" (`kubectl
 * rollout undo` picks the previous revision even when that one failed). What serves is read back
 * from the cluster (ready pods and their template annotation).
 */
export class KubernetesTarget implements Target {
  readonly type = KUBERNETES_TARGET_TYPE;
  readonly capabilities: TargetCapabilities;
  private readonly state: KubernetesState;
  private apiClient: KubeApi | null = null;

  constructor(
    private readonly config: ResolvedKubernetesConfig,
    capabilities: TargetCapabilities = { ...DEFAULT_TARGET_CAPABILITIES, zeroDowntimeReload: true },
  ) {
    this.capabilities = capabilities;
    this.state = new KubernetesState(config.stateDir);
  }

  /** Built on first use: loading a kubeconfig can fail, and a plan needs none. */
  private get api(): KubeApi {
    return (this.apiClient ??= new KubeApi({ kubeconfig: this.config.kubeconfig, context: this.config.context }));
  }

  private get ns(): string {
    return this.config.namespace;
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    return {
      summary: `record the images of ${release.version} after checking their Deployments and containers exist in namespace ${this.ns}`,
      commands: [],
      effects: [`verify sha256 of ${release.stored ?? release.artifact} equals ${release.digest}`, `GET each Deployment ${MANIFEST_FILE} names`, `record ${this.state.recordFile(release.version)}`],
    };
  }

  describeActivate(version: string): ActionDescription {
    const images = this.state.recordSync(version)?.images;
    const pairs = images ? Object.entries(images).map(([k, v]) => `${k}=${v}`).join(', ') : `the images of ${version}`;
    return {
      summary: `activate ${version}: patch ${pairs} into namespace ${this.ns}`,
      commands: [],
      effects: [
        `PATCH (strategic merge) each Deployment: its containers' images, pod-template annotation ${VERSION_ANNOTATION}=${version}, and its replicas back when \`stop\` scaled it to 0`,
        `wait up to ${this.config.rolloutTimeoutMs} ms for every rollout as \`kubectl rollout status\` decides (ProgressDeadlineExceeded fails it)`,
        `record each Deployment's ${REVISION_ANNOTATION} for ${version}`,
      ],
    };
  }

  async prepare(release: ReleaseArtifact): Promise<Outcome> {
    try {
      const existing = await this.state.record(release.version);
      if (existing && existing.digest !== release.digest) {
        return failed(`${release.version} was prepared from digest ${existing.digest}, not the registered ${release.digest}`, { record: this.state.recordFile(release.version) }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH');
      }
      if (existing) return succeeded(`${release.version}: already recorded`, { images: existing.images, reused: true });
      const source = [release.stored, release.artifact].find((p): p is string => !!p && existsSync(p));
      if (!source) return failed(`the image manifest of ${release.version} is gone (${[release.stored, release.artifact].filter(Boolean).join(', ')})`, { artifact: release.artifact }, 'REWIND_E_ARTIFACT_NOT_FOUND');
      const inspection = await inspectArtifact(source);
      if (inspection.digest !== release.digest) {
        return failed(`${source} has digest ${inspection.digest}, but ${release.version} was registered with ${release.digest}`, { artifact: source, expected: release.digest, actual: inspection.digest }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH');
      }
      const images = readManifest(join(source, MANIFEST_FILE));
      await this.checkTargets(Object.keys(images));
      await this.state.writeRecord({ version: release.version, digest: release.digest, images });
      return succeeded(`${release.version}: ${Object.keys(images).length} image(s) recorded`, { images, reused: false });
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
  }

  /** Every `deployment/container` is configured and exists in the cluster; throws coded errors naming the first miss. */
  private async checkTargets(keys: readonly string[]): Promise<Map<string, V1Deployment>> {
    const found = new Map<string, V1Deployment>();
    for (const key of keys) {
      const [name, container] = key.split('/') as [string, string];
      const configured = this.config.deployments.find((d) => d.name === name);
      if (!configured) {
        throw new RewindError('REWIND_E_KUBE_NOT_FOUND', `deployment ${name} is not one of target.deployments (${this.config.deployments.map((d) => d.name).join(', ')})`, { deployment: name });
      }
      if (configured.containers && !configured.containers.includes(container)) {
        throw new RewindError('REWIND_E_KUBE_NOT_FOUND', `container ${container} is not one of target.deployments ${name}.containers (${configured.containers.join(', ')})`, { deployment: name, container });
      }
      if (!found.has(name)) found.set(name, await this.api.deployment(this.ns, name));
      const names = (found.get(name)!.spec?.template.spec?.containers ?? []).map((c) => c.name);
      if (!names.includes(container)) {
        throw new RewindError('REWIND_E_KUBE_NOT_FOUND', `deployment ${this.ns}/${name} has no container ${container} (containers: ${names.join(', ')})`, { deployment: name, container, containers: names });
      }
    }
    return found;
  }

  async activate(version: string, progress?: ProgressReporter): Promise<Outcome> {
    const record = await this.state.record(version);
    if (!record) return failed(`${version} is not prepared (no ${this.state.recordFile(version)})`, undefined, 'REWIND_E_ARTIFACT_NOT_FOUND');
    const byDeployment = groupByDeployment(record.images);
    try {
      const started = performance.now();
      const patched: string[] = [];
      for (const [name, containers] of Object.entries(byDeployment)) {
        const current = await this.api.deployment(this.ns, name);
        const stoppedAt = current.metadata?.annotations?.[REPLICAS_ANNOTATION];
        const body = {
          metadata: { annotations: { 'kubernetes.io/change-cause': `rewind activate ${version}`, ...(stoppedAt !== undefined ? { [REPLICAS_ANNOTATION]: null } : {}) } },
          spec: {
            ...(stoppedAt !== undefined && current.spec?.replicas === 0 ? { replicas: Number(stoppedAt) } : {}),
            template: { metadata: { annotations: { [VERSION_ANNOTATION]: version } }, spec: { containers: Object.entries(containers).map(([container, image]) => ({ name: container, image })) } },
          },
        };
        if (needsPatch(current, version, containers) || stoppedAt !== undefined) {
          await this.api.patchDeployment(this.ns, name, body);
          patched.push(name);
        }
      }
      const revisions = await this.waitRollouts(Object.keys(byDeployment), progress);
      await this.state.writeRecord({ ...record, revisions });
      return succeeded(`${version} rolled out: ${Object.entries(revisions).map(([d, r]) => `${d} revision ${r}`).join(', ')}`, { images: record.images, revisions, patched, rolloutMs: Math.round(performance.now() - started) });
    } catch (error) {
      if (isRewindError(error)) {
        // A failed rollout has its revision too: recorded, so status shows what `rollout history` numbers it.
        const revisions = await this.revisionsOf(version, Object.keys(byDeployment)).catch(() => ({}));
        if (Object.keys(revisions).length) await this.state.writeRecord({ ...record, revisions });
        return failed(error.message, { ...error.details, revisions }, error.code);
      }
      throw error;
    }
  }

  /** Until every Deployment's rollout is done (kubectl's rule); their revision annotations then. */
  private async waitRollouts(names: readonly string[], progress?: ProgressReporter): Promise<Record<string, string>> {
    const deadline = Date.now() + this.config.rolloutTimeoutMs;
    const done = new Map<string, string>();
    let last = '';
    for (;;) {
      const waiting: string[] = [];
      for (const name of names) {
        if (done.has(name)) continue;
        const d = await this.api.deployment(this.ns, name);
        const state = rolloutState(d);
        if (state.state === 'failed') {
          const condition = d.status?.conditions?.find((c) => c.type === 'Progressing');
          throw new RewindError('REWIND_E_KUBE_ROLLOUT_FAILED', state.message, { deployment: name, reason: condition?.reason ?? null, condition: condition?.message ?? null, revision: d.metadata?.annotations?.[REVISION_ANNOTATION] ?? null });
        }
        if (state.state === 'done') {
          done.set(name, d.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
          void progress?.({ message: state.message, current: done.size, total: names.length });
        } else waiting.push(state.message);
      }
      if (waiting.length === 0) return Object.fromEntries(names.map((n) => [n, done.get(n)!]));
      last = waiting.join('; ');
      if (Date.now() >= deadline) throw new RewindError('REWIND_E_KUBE_ROLLOUT_TIMEOUT', `rollout not finished after ${this.config.rolloutTimeoutMs} ms (rolloutTimeoutMs): ${last}`, { waiting });
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** The revision of each Deployment whose pod template is `version`'s. */
  private async revisionsOf(version: string, names: readonly string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const name of names) {
      const d = await this.api.deployment(this.ns, name);
      const revision = d.metadata?.annotations?.[REVISION_ANNOTATION];
      if (revision && d.spec?.template.metadata?.annotations?.[VERSION_ANNOTATION] === version) out[name] = revision;
    }
    return out;
  }

  /**
   * Scales every Deployment to 0 (its replica count kept in the rewind.dev/replicas annotation, which
   * activate restores), and waits for its pods to be gone: stops writes before a restore.
   */
  async stop(): Promise<Outcome> {
    try {
      const scaled: string[] = [];
      for (const { name } of this.config.deployments) {
        const d = await this.api.deployment(this.ns, name);
        if ((d.spec?.replicas ?? 1) === 0) continue;
        await this.api.patchDeployment(this.ns, name, { metadata: { annotations: { [REPLICAS_ANNOTATION]: String(d.spec?.replicas ?? 1) } }, spec: { replicas: 0 } });
        scaled.push(name);
      }
      const deadline = Date.now() + this.config.rolloutTimeoutMs;
      for (const { name } of this.config.deployments) {
        while ((await this.readyPods(name)).length > 0 || ((await this.api.deployment(this.ns, name)).status?.replicas ?? 0) > 0) {
          if (Date.now() >= deadline) throw new RewindError('REWIND_E_KUBE_ROLLOUT_TIMEOUT', `deployment ${name} still has pods ${this.config.rolloutTimeoutMs} ms after scaling to 0`, { deployment: name });
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      }
      return succeeded(scaled.length ? `scaled ${scaled.join(', ')} to 0` : 'every Deployment already scaled to 0', { scaled });
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
  }

  /** The release every configured Deployment's pod template names, or null when they disagree or none does. */
  async activeVersion(): Promise<string | null> {
    const versions = new Set<string | null>();
    for (const { name } of this.config.deployments) versions.add((await this.api.deployment(this.ns, name)).spec?.template.metadata?.annotations?.[VERSION_ANNOTATION] ?? null);
    return versions.size === 1 ? [...versions][0]! : null;
  }

  private async readyPods(name: string) {
    const d = await this.api.deployment(this.ns, name);
    const selector = Object.entries(d.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await this.api.pods(this.ns, selector);
    return pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }

  /**
   * One entry per ready pod of each Deployment rewind manages (its template has the rewind.dev/version
   * annotation), with the release the pod's annotation names (null: a pod of a template rewind did
   * not set). A Deployment rewind never activated is not listed, as compose leaves out unpinned services.
   */
  async servedVersions(): Promise<ServedProcess[] | null> {
    const served: ServedProcess[] = [];
    for (const { name } of this.config.deployments) {
      if (!(await this.api.deployment(this.ns, name)).spec?.template.metadata?.annotations?.[VERSION_ANNOTATION]) continue;
      for (const pod of await this.readyPods(name)) {
        served.push({ version: pod.metadata?.annotations?.[VERSION_ANNOTATION] ?? null, where: `pod ${this.ns}/${pod.metadata?.name} (deployment ${name})` });
      }
    }
    return served;
  }

  /** Each recorded release's revision per Deployment (when it last rolled out), for `status`. */
  async platformRevisions(): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for (const version of await this.state.versions()) {
      const record = await this.state.record(version);
      if (record?.revisions) out[version] = record.revisions;
    }
    return out;
  }

  installedVersions(): Promise<string[]> {
    return this.state.versions();
  }

  async remove(version: string): Promise<void> {
    if ((await this.activeVersion()) === version) throw new Error(`refusing to remove the active release ${version}`);
    await this.state.removeRecord(version);
  }

  /** The state directory's file system: releases are records there, the images live in registries. */
  async freeSpace(): Promise<FreeSpace> {
    return freeSpaceAt(this.config.stateDir);
  }

  /**
   * `release register --image deployment[/container]=repo@sha256:...`: every reference pinned by
   * digest (no tag is resolved here: rewind pulls nothing, the cluster does), every Deployment and
   * container checked in the cluster, before the manifest directory is written.
   */
  async artifactFromImages(images: Record<string, string>): Promise<string> {
    const resolved: Record<string, string> = {};
    for (const [target, reference] of Object.entries(images).sort(([a], [b]) => a.localeCompare(b))) {
      const parsed = parseImageReference(reference);
      if (!parsed) throw new RewindError('REWIND_E_USAGE', `--image ${target}=${reference}: not an image reference (repository[:tag]@sha256:<64 hex>)`, { argument: '--image', target });
      if (!parsed.digest) throw new RewindError('REWIND_E_IMAGE_DIGEST_REQUIRED', `--image ${target}=${reference} has no digest: a kubernetes target records images by digest (${parsed.repository}@sha256:<digest>)`, { target, image: reference });
      resolved[await this.containerKey(target)] = pinned({ ...parsed, digest: parsed.digest });
    }
    if (Object.keys(resolved).length === 0) throw new RewindError('REWIND_E_USAGE', 'release register --image needs at least one deployment[/container]=reference', { argument: '--image' });
    await this.checkTargets(Object.keys(resolved));
    const content = JSON.stringify({ images: resolved }, null, 2) + '\n';
    return writeManifestDir(this.config.stateDir, MANIFEST_FILE, content);
  }

  /** `deployment` alone names its only container (configured, else the one its pod template has). */
  private async containerKey(target: string): Promise<string> {
    if (target.includes('/')) return target;
    const configured = this.config.deployments.find((d) => d.name === target);
    if (configured?.containers?.length === 1) return `${target}/${configured.containers[0]}`;
    if (!configured) return `${target}/?`; // refused by checkTargets, with the configured names
    const names = (await this.api.deployment(this.ns, target)).spec?.template.spec?.containers.map((c) => c.name) ?? [];
    if (names.length !== 1) throw new RewindError('REWIND_E_USAGE', `deployment ${target} has ${names.length} containers (${names.join(', ')}): name one, --image ${target}/<container>=...`, { argument: '--image', deployment: target });
    return `${target}/${names[0]}`;
  }

  async close(): Promise<void> {
    // The client holds no connection between calls.
  }
}

/** Whether the Deployment's template differs from what `version` sets. */
function needsPatch(d: V1Deployment, version: string, containers: Record<string, string>): boolean {
  if (d.spec?.template.metadata?.annotations?.[VERSION_ANNOTATION] !== version) return true;
  const live = new Map((d.spec?.template.spec?.containers ?? []).map((c) => [c.name, c.image]));
  return Object.entries(containers).some(([name, image]) => live.get(name) !== image);
}

function groupByDeployment(images: Record<string, string>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [key, image] of Object.entries(images)) {
    const [deployment, container] = key.split('/') as [string, string];
    (out[deployment] ??= {})[container] = image;
  }
  return out;
}

function readManifest(path: string): Record<string, string> {
  let images: Record<string, string>;
  try {
    images = (JSON.parse(readFileSync(path, 'utf8')) as { images: Record<string, string> }).images;
  } catch (error) {
    throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `cannot read the image manifest ${path}: ${(error as Error).message}`, { path });
  }
  for (const [key, image] of Object.entries(images ?? {})) {
    if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(key)) throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `${path}: ${key} is not deployment/container`, { key });
    if (!parseImageReference(image)?.digest) throw new RewindError('REWIND_E_IMAGE_DIGEST_REQUIRED', `${path}: ${key}=${image} is not pinned by digest`, { key, image });
  }
  return images;
}

export type { KubeReleaseRecord };
