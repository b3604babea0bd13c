import type { CommandSpec } from './executor.js';
import type { Outcome } from './outcome.js';
import type { ProgressReporter } from './step-progress.js';

/**
 * What the core may rely on; it picks strategies from these flags, never from the target's type.
 * Each flag's default is in DEFAULT_TARGET_CAPABILITIES; a target's definition overrides only what differs.
 */
export interface TargetCapabilities {
  /** Switching the active release is a single atomic operation. Default false. */
  readonly atomicSwitch: boolean;
  /** The previous release keeps running after a switch, so rolling back is not a boot. Default false. */
  readonly keepsPreviousWarm: boolean;
  /** Traffic can be split between two releases (the target has slots a router moves traffic between). Default false. */
  readonly trafficSplit: boolean;
  /** The platform has its own rollback primitive. Default false. */
  readonly nativeRollback: boolean;
  /** Activating a release does not drop requests in flight. Default false: plans warn of an interruption. */
  readonly zeroDowntimeReload: boolean;
}

/** What a target promises when its definition says nothing: the least, so the core never assumes. */
export const DEFAULT_TARGET_CAPABILITIES: TargetCapabilities = Object.freeze({
  atomicSwitch: false,
  keepsPreviousWarm: false,
  trafficSplit: false,
  nativeRollback: false,
  zeroDowntimeReload: false,
});

/** A pure description of what an action will do, for plans and dry-runs. */
export interface ActionDescription {
  summary: string;
  /** Processes that will be run, exactly as `exec/` will run them. */
  commands: CommandSpec[];
  /** Non-process effects: file-system changes and API calls, in order. */
  effects: string[];
}

export interface ServedProcess {
  version: string | null;
  /** Where it runs from, as the platform reports it. */
  where: string;
}

export interface ReleaseArtifact {
  version: string;
  /** The path the release was registered from (a build folder or tarball, which may be gone by now). */
  artifact: string;
  digest: string;
  /**
   * rewind's own copy of the artifact in its store (artifact-store.ts), when it had one as the plan
   * was made: what a target unpacks first. Absent for releases registered before the store existed.
   */
  stored?: string;
}

export interface FreeSpace {
  /** Bytes an unprivileged writer may still use there. */
  bytes: number;
  /** The path whose file system was measured. */
  path: string;
}

/**
 * One of the two places a slotted target keeps a release running (blue-green and canary): its own
 * process on its own port (or its own ECS service), so the release it holds stays warm while the
 * other slot serves.
 */
export interface SlotState {
  /** `blue` or `green`. */
  readonly name: string;
  /**
   * Where the slot's own process listens, so rewind can probe it before traffic reaches it. Absent
   * when a slot has no single address (an ECS service: its tasks come and go behind its own target
   * group); then no probe goes to the slot directly, and the router's check of the slot (every
   * target of the ALB target group healthy) is the gate before traffic moves.
   */
  readonly host?: string;
  readonly port?: number;
  /** The release the slot holds (its link), or null when it was never used. */
  readonly version: string | null;
  /** Whether the slot's process runs. */
  readonly online: boolean;
}

export interface Target {
  readonly type: string;
  readonly capabilities: TargetCapabilities;

  describePrepare(release: ReleaseArtifact): ActionDescription;
  describeActivate(version: string): ActionDescription;

  /** Makes the release ready to activate (unpack, pull). Idempotent; verifies the digest first. */
  prepare(release: ReleaseArtifact): Promise<Outcome>;
  /**
   * Makes `version` the one that serves. Idempotent: safe to repeat after a crash. `progress`: news
   * while it runs, for targets whose activation has parts (a fleet's hosts); it never fails the step.
   */
  activate(version: string, progress?: ProgressReporter): Promise<Outcome>;
  /** Stops the app (to stop writes before a restore). Idempotent. */
  stop(): Promise<Outcome>;
  /**
   * Where a prepared release's files are, for targets that unpack releases on this machine (the
   * deploy reads and runs the release's migrations there). Absent on image-based targets.
   */
  releaseDir?(version: string): string;
  /** The version the target itself says is active, independent of the ledger. */
  activeVersion(): Promise<string | null>;
  /**
   * What really serves: one entry per live process, with the release it runs (null: something that
   * is not a release of this target). Null when the target cannot tell. Absent for targets whose
   * platform reports only what it was told (then the active version is all there is).
   */
  servedVersions?(): Promise<ServedProcess[] | null>;
  installedVersions(): Promise<string[]>;
  /** Removes an installed release. Never called for the active one. */
  remove(version: string): Promise<void>;
  /**
   * Free space on the file system where releases are prepared (not necessarily the one of the
   * target's root: a releases folder may be its own mount), and the path that was measured.
   */
  freeSpace(): Promise<FreeSpace>;
  /**
   * Slotted targets (capabilities keepsPreviousWarm and trafficSplit): what each slot holds. The core
   * reads it to plan; a router in front of the slots moves traffic between them.
   */
  slots?(): Promise<SlotState[]>;
  describeStartOnSlot?(slot: string, version: string): ActionDescription;
  /**
   * Runs `version` on `slot` (boots it, or reloads the slot when it holds another release) without
   * touching what the other slot serves. Idempotent.
   */
  startOnSlot?(slot: string, version: string): Promise<Outcome>;
  /** Records `version` as the active release (the `current` link) once traffic reaches it. Idempotent. */
  markActive?(version: string): Promise<void>;
  /**
   * Image-based targets (compose): turns `service -> image reference` into the directory a release is
   * registered as (a manifest of images pinned by digest), resolving each tag to its digest once.
   * Checks every reference and service before writing anything; throws coded errors. Absent on
   * targets whose releases are files.
   */
  artifactFromImages?(images: Record<string, string>): Promise<string>;
  /** ECS: `release register --task-definition family:revision` as a manifest directory (ARN and images). Throws coded errors. */
  artifactFromTaskDefinition?(reference: string): Promise<string>;
  /**
   * Vercel and Railway: `release register` finds the release's existing deployment (by `deployment` id or URL,
   * else by the git `commit` it was built from, else by a meta value naming the version) and writes
   * the manifest directory recording its id, and the git commit the deployment was built from when
   * the platform knows it (what the release records when --commit was not given). Railway takes a
   * deployment id or a commit (`deployment`, else `commit`) and no meta lookup. Throws coded
   * errors; writes nothing when it does.
   */
  artifactFromDeployment?(query: { version: string; deployment?: string; commit?: string }): Promise<{ artifact: string; commit: string | null }>;
  /**
   * Platforms that number their own rollouts (kubernetes: each Deployment's
   * `deployment.kubernetes.io/revision`): release -> object -> the revision it last rolled out as,
   * for `status`. Absent elsewhere.
   */
  platformRevisions?(): Promise<Record<string, Record<string, string>>>;
  /** Releases connections (PM2 bus, SDK clients). */
  close(): Promise<void>;
}
