import type { CommandSpec } from './executor.js';
import type { Outcome } from './outcome.js';

/** What the core may rely on; it picks strategies from these flags, never from the target's type. */
export interface TargetCapabilities {
  /** Switching the active release is a single atomic operation. */
  readonly atomicSwitch: boolean;
  /** The previous release keeps running after a switch, so rolling back is not a boot. */
  readonly keepsPreviousWarm: boolean;
  /** Traffic can be split between two releases. */
  readonly trafficSplit: boolean;
  /** The platform has its own rollback primitive. */
  readonly nativeRollback: boolean;
  /** Activating a release does not drop requests in flight. */
  readonly zeroDowntimeReload: boolean;
}

/** A pure description of what an action will do, for plans and dry-runs. */
export interface ActionDescription {
  summary: string;
  /** Processes that will be run, exactly as `exec/` will run them. */
  commands: CommandSpec[];
  /** Non-process effects: file-system changes and API calls, in order. */
  effects: string[];
}

export interface ReleaseArtifact {
  version: string;
  artifact: string;
  digest: string;
}

export interface Target {
  readonly type: string;
  readonly capabilities: TargetCapabilities;

  describePrepare(release: ReleaseArtifact): ActionDescription;
  describeActivate(version: string): ActionDescription;

  /** Makes the release ready to activate (unpack, pull). Idempotent; verifies the digest first. */
  prepare(release: ReleaseArtifact): Promise<Outcome>;
  /** Makes `version` the one that serves. Idempotent: safe to repeat after a crash. */
  activate(version: string): Promise<Outcome>;
  /** Stops the app (to stop writes before a restore). Idempotent. */
  stop(): Promise<Outcome>;
  /**
   * Where a prepared release's files are, for targets that unpack releases on this machine (the
   * deploy reads and runs the release's migrations there). Absent on image-based targets.
   */
  releaseDir?(version: string): string;
  /** The version the target itself says is active, independent of the ledger. */
  activeVersion(): Promise<string | null>;
  installedVersions(): Promise<string[]>;
  /** Removes an installed release. Never called for the active one. */
  remove(version: string): Promise<void>;
  /** Free bytes where releases are prepared. */
  freeBytes(): Promise<number>;
  /** Releases connections (PM2 bus, SDK clients). */
  close(): Promise<void>;
}
