import type { CommandResult, CommandSpec } from './executor.js';
import type { ActionDescription } from './target.js';
import type { Outcome } from './outcome.js';

export interface RuntimeContext {
  /** The stable path that points at the active release (the `current` symlink). */
  currentDir: string;
  /** The real directory of the release being activated. */
  releaseDir: string;
  version: string;
}

/**
 * What a runtime's definition declares (registry.ts); each flag's default is in
 * DEFAULT_RUNTIME_CAPABILITIES and a definition overrides only what differs.
 */
export interface RuntimeCapabilities {
  /**
   * It can run one app per slot (blue-green, canary: `target.slots`), each its own process named
   * `<name>-<slot>` and told its port through its `env`. Default false.
   */
  readonly runsSlots: boolean;
}

export const DEFAULT_RUNTIME_CAPABILITIES: RuntimeCapabilities = Object.freeze({ runsSlots: false });

/** A runtime's activation as fixed commands: `check`, then `reload` if it exits 0 (or when there is no check), else `start`. */
export interface ActivationCommands {
  /** Exits 0 when the app runs. */
  check?: CommandSpec;
  start: CommandSpec;
  reload: CommandSpec;
}

/** What runs the app inside a releases target: PM2, or user-given commands for systemd and the like. */
export interface Runtime {
  readonly type: string;
  readonly supportsZeroDowntimeReload: boolean;
  describeActivate(context: RuntimeContext): ActionDescription;
  /** Starts the app if it is not running, reloads it if it is. Idempotent. */
  activate(context: RuntimeContext): Promise<Outcome>;
  /**
   * For a runtime whose `activate` is exactly its ActivationCommands: them, so that a target that
   * reaches the app over a network can send the whole activation at once, with its own work (the ssh
   * fleet: link switch, status, reload or start in one round trip per host instead of three). The
   * target then hands what the command it ran did to `judgeActivation`, which returns the Outcome
   * `activate` would have. Absent (PM2): the target calls `activate`.
   */
  activationCommands?(context: RuntimeContext): ActivationCommands;
  judgeActivation?(command: CommandSpec, action: 'start' | 'reload', result: CommandResult): Outcome;
  stop(context: RuntimeContext): Promise<Outcome>;
  /** Whether the app runs now (PM2: a process of it is online). Absent when the runtime cannot tell. */
  isRunning?(): Promise<boolean>;
  /**
   * The real directory each live process of the app runs from (empty: nothing runs), or null when
   * this runtime cannot tell. This is what serves, whatever the link or the ledger say.
   */
  servedDirs?(): Promise<string[] | null>;
  close(): Promise<void>;
  /** Removes the app and stops whatever the runtime started to serve it (tests and the demo leave nothing behind). */
  destroy?(): Promise<void>;
}
