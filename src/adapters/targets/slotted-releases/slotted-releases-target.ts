import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SlotsConfig } from './slots-config.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { Runtime, RuntimeContext } from '../../../ports/runtime.js';
import type { ActionDescription, FreeSpace, ReleaseArtifact, SlotState, Target, TargetCapabilities } from '../../../ports/target.js';
import { pointLink, readLinkOrNull, ReleasesTarget } from '../releases/releases-target.js';
import { slotForRestart } from '../slot-restart.js';

export const SLOT_NAMES = ['blue', 'green'] as const;
export type SlotName = (typeof SLOT_NAMES)[number];

/**
 * A slot's own app (a runtime whose definition declares `runsSlots`, such as PM2): `<name>-<slot>`,
 * told its port through `portEnv`, run from the slot's link.
 */
export function slotRuntimeConfig<C extends { name: string; env: Record<string, string> }>(base: C, slots: SlotsConfig, slot: SlotName): C {
  return { ...base, name: `${base.name}-${slot}`, env: { ...base.env, [slots.portEnv]: String(slots[slot].port) } };
}

/**
 * The releases layout with two warm slots (Kamal keeps its old containers for the same reason):
 * `<path>/slots/blue` and `<path>/slots/green` are links to a release directory, each run by its
 * own process on its own port. A deploy boots the new release on the idle slot while the other keeps
 * serving; the router in front (core's job, not this adapter's) moves traffic; rolling back is moving
 * it back, not a boot. `current` names the release traffic was last switched to in full.
 */
export class SlottedReleasesTarget implements Target {
  readonly type = 'releases';
  readonly capabilities: TargetCapabilities;
  private readonly files: ReleasesTarget;
  private readonly runtimes: Record<SlotName, Runtime>;

  constructor(
    private readonly root: string,
    private readonly slotsConfig: SlotsConfig,
    runtimes: Record<SlotName, Runtime>,
    /** From the definition (slotted-releases-definition.ts), through the registry. */
    capabilities: TargetCapabilities,
  ) {
    this.runtimes = runtimes;
    this.capabilities = capabilities;
    // The files half (unpack, prune, free space) is the plain releases target's; its runtime is never asked to activate.
    this.files = new ReleasesTarget(root, runtimes.blue);
  }

  slotLink(slot: SlotName): string {
    return join(this.root, 'slots', slot);
  }

  releaseDir(version: string): string {
    return this.files.releaseDir(version);
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    return this.files.describePrepare(release);
  }

  prepare(release: ReleaseArtifact): Promise<Outcome> {
    return this.files.prepare(release);
  }

  describeStartOnSlot(slot: string, version: string): ActionDescription {
    const name = requireSlot(slot);
    const runtime = this.runtimes[name].describeActivate(this.context(name, version));
    return {
      summary: `run ${version} on slot ${name} (${this.slotsConfig.host}:${this.slotsConfig[name].port}); ${runtime.summary}`,
      commands: runtime.commands,
      effects: [`symlink ${this.slotLink(name)}.tmp-* -> ../releases/${version}`, `rename it over ${this.slotLink(name)}`, ...runtime.effects],
    };
  }

  async startOnSlot(slot: string, version: string): Promise<Outcome> {
    const name = requireSlot(slot);
    if (!(await this.files.isPrepared(version))) return failed(`${this.releaseDir(version)} is not an unpacked release`, undefined, 'REWIND_E_ARTIFACT_NOT_FOUND');
    await mkdir(join(this.root, 'slots'), { recursive: true });
    const relinked = await pointLink(this.slotLink(name), join('..', 'releases', version));
    const runtime = await this.runtimes[name].activate(this.context(name, version));
    return { ...runtime, message: `slot ${name} ${relinked ? 'now holds' : 'already held'} ${version}; ${runtime.message}`, detail: { ...runtime.detail, slot: name, relinked } };
  }

  async markActive(version: string): Promise<void> {
    await pointLink(join(this.root, 'current'), join('releases', version));
  }

  describeActivate(version: string): ActionDescription {
    return {
      summary: `run ${version} on the slot that holds it (or the idle one) and record it as current; traffic is the router's`,
      commands: [],
      effects: [`start or reload the slot holding ${version}`, `symlink ${join(this.root, 'current')} -> releases/${version}`],
    };
  }

  /**
   * Outside blue-green steps (a restore starting the app again): the release runs on the slot that
   * holds it, else on the slot that does not hold the current release, and becomes current.
   */
  async activate(version: string): Promise<Outcome> {
    const slots = await this.slots();
    const active = await this.activeVersion();
    const slot = slotForRestart(slots, version, active);
    const outcome = await this.startOnSlot(slot.name, version);
    if (outcome.status === 'succeeded') await this.markActive(version);
    return outcome;
  }

  /** Stops both slots: a restore needs no writes from either release. */
  async stop(): Promise<Outcome> {
    const outcomes = await Promise.all(SLOT_NAMES.map(async (slot) => this.runtimes[slot].stop(this.context(slot, (await this.slotVersion(slot)) ?? 'none'))));
    const bad = outcomes.find((o) => o.status !== 'succeeded');
    return bad ?? succeeded(outcomes.map((o) => o.message).join('; '));
  }

  async slots(): Promise<SlotState[]> {
    return Promise.all(
      SLOT_NAMES.map(async (slot) => ({
        name: slot,
        host: this.slotsConfig.host,
        port: this.slotsConfig[slot].port,
        version: await this.slotVersion(slot),
        online: (await this.runtimes[slot].isRunning?.()) ?? false,
      })),
    );
  }

  async activeVersion(): Promise<string | null> {
    const link = await readLinkOrNull(join(this.root, 'current'));
    return link ? basename(link) : null;
  }

  installedVersions(): Promise<string[]> {
    return this.files.installedVersions();
  }

  async remove(version: string): Promise<void> {
    for (const slot of SLOT_NAMES) {
      if ((await this.slotVersion(slot)) === version) throw new Error(`refusing to remove ${version}: slot ${slot} runs it`);
    }
    await this.files.remove(version);
  }

  freeSpace(): Promise<FreeSpace> {
    return this.files.freeSpace();
  }

  async close(): Promise<void> {
    await Promise.all(SLOT_NAMES.map((slot) => this.runtimes[slot].close()));
  }

  /** Removes both slots' apps and stops their daemon (tests and the demo leave nothing behind). */
  async destroy(): Promise<void> {
    for (const slot of SLOT_NAMES) await this.runtimes[slot].destroy?.();
  }

  private async slotVersion(slot: SlotName): Promise<string | null> {
    const link = await readLinkOrNull(this.slotLink(slot));
    return link ? basename(link) : null;
  }

  private context(slot: SlotName, version: string): RuntimeContext {
    return { currentDir: this.slotLink(slot), releaseDir: this.releaseDir(version), version };
  }
}

function requireSlot(slot: string): SlotName {
  if (!(SLOT_NAMES as readonly string[]).includes(slot)) throw new Error(`unknown slot ${JSON.stringify(slot)} (blue or green)`);
  return slot as SlotName;
}
