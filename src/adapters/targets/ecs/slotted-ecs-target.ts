import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { succeeded, type Outcome } from '../../../ports/outcome.js';
import type { ActionDescription, FreeSpace, ReleaseArtifact, SlotState, Target, TargetCapabilities } from '../../../ports/target.js';
import { writeFileAtomic } from '../../../util/atomic-file.js';
import { ECS_TARGET_TYPE, type EcsServiceConfig, type EcsTargetConfig } from './ecs-config.js';
import { EcsTarget } from './ecs-target.js';
import { slotForRestart } from '../slot-restart.js';

export const ECS_SLOT_NAMES = ['blue', 'green'] as const;
type SlotName = (typeof ECS_SLOT_NAMES)[number];

/**
 * Blue-green on ECS: two services of one cluster (`slots.blue.service`, `slots.green.service`), each
 * registered in its own ALB target group. A slot is one service run by the single-service target
 * (UpdateService, then the wait for stable with the PRIMARY deployment on the revision asked for);
 * a deploy rolls the idle service while the other keeps serving, the alb router switches the
 * listener once every target of the idle group is healthy, and a rollback to the release the other
 * service still runs is only that switch back. Each slot keeps its own state under
 * <stateDir>/slots/<slot> (its records, and the desired count `stop` set aside); <stateDir>/current
 * names the release traffic was last switched to in full.
 */
export class SlottedEcsTarget implements Target {
  readonly type = ECS_TARGET_TYPE;
  private readonly services: Record<SlotName, EcsTarget>;
  private readonly currentFile: string;

  constructor(
    config: EcsTargetConfig & { stateDir: string },
    /** From the definition (slotted-ecs-definition.ts), through the registry. */
    readonly capabilities: TargetCapabilities,
  ) {
    const { slots, service: _single, ...common } = config;
    const slotConfig = (slot: SlotName): EcsServiceConfig => ({ ...common, service: slots![slot].service, stateDir: join(config.stateDir, 'slots', slot) });
    this.services = { blue: new EcsTarget(slotConfig('blue')), green: new EcsTarget(slotConfig('green')) };
    this.currentFile = join(config.stateDir, 'current');
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    const one = this.services.blue.describePrepare(release);
    return { summary: `${one.summary} (for both slots' services)`, commands: [], effects: ECS_SLOT_NAMES.flatMap((slot) => this.services[slot].describePrepare(release).effects.map((e) => `slot ${slot}: ${e}`)) };
  }

  /** Both slots get the record: either may be the idle one when the release is started. */
  async prepare(release: ReleaseArtifact): Promise<Outcome> {
    const outcomes: Outcome[] = [];
    for (const slot of ECS_SLOT_NAMES) {
      const outcome = await this.services[slot].prepare(release);
      if (outcome.status !== 'succeeded') return outcome;
      outcomes.push(outcome);
    }
    return { ...outcomes[0]!, message: `${outcomes[0]!.message} (recorded for slots blue and green)` };
  }

  describeStartOnSlot(slot: string, version: string): ActionDescription {
    const name = requireSlot(slot);
    const inner = this.services[name].describeActivate(version);
    return { summary: `run ${version} on slot ${name}: ${inner.summary}`, commands: [], effects: inner.effects };
  }

  /** UpdateService of the slot's service and the wait, exactly as the single-service target activates; the other service is not touched. */
  async startOnSlot(slot: string, version: string): Promise<Outcome> {
    const name = requireSlot(slot);
    const outcome = await this.services[name].activate(version);
    return { ...outcome, message: `slot ${name}: ${outcome.message}`, detail: { ...outcome.detail, slot: name } };
  }

  async markActive(version: string): Promise<void> {
    await mkdir(join(this.currentFile, '..'), { recursive: true });
    await writeFileAtomic(this.currentFile, `${version}\n`);
  }

  describeActivate(version: string): ActionDescription {
    return {
      summary: `run ${version} on the slot whose service runs it (or the idle one) and record it as current; traffic is the router's`,
      commands: [],
      effects: [`UpdateService of that slot's service to ${version}'s task definition (none when it runs it already), and the wait`, `write ${this.currentFile}`],
    };
  }

  /**
   * Outside blue-green steps (a restore starting the app again): the release runs on the slot whose
   * service runs it, else on the slot that does not run the current release, and becomes current.
   */
  async activate(version: string): Promise<Outcome> {
    const slots = await this.slots();
    const active = await this.activeVersion();
    const slot = slotForRestart(slots, version, active);
    const outcome = await this.startOnSlot(slot.name, version);
    if (outcome.status === 'succeeded') await this.markActive(version);
    return outcome;
  }

  /** Scales both services to 0: a restore needs no writes from either release. */
  async stop(): Promise<Outcome> {
    const outcomes: Outcome[] = [];
    for (const slot of ECS_SLOT_NAMES) outcomes.push(await this.services[slot].stop());
    return outcomes.find((o) => o.status !== 'succeeded') ?? succeeded(outcomes.map((o) => o.message).join('; '));
  }

  /** No host or port: a slot is a service whose tasks sit behind its own target group (SlotState). */
  async slots(): Promise<SlotState[]> {
    return Promise.all(
      ECS_SLOT_NAMES.map(async (slot) => ({
        name: slot,
        version: await this.services[slot].activeVersion(),
        online: await this.services[slot].running(),
      })),
    );
  }

  async activeVersion(): Promise<string | null> {
    try {
      return (await readFile(this.currentFile, 'utf8')).trim() || null;
    } catch {
      return null;
    }
  }

  installedVersions(): Promise<string[]> {
    return this.services.blue.installedVersions();
  }

  async remove(version: string): Promise<void> {
    for (const slot of ECS_SLOT_NAMES) {
      if ((await this.services[slot].activeVersion()) === version) throw new Error(`refusing to remove ${version}: slot ${slot} (${this.services[slot].where}) runs it`);
    }
    for (const slot of ECS_SLOT_NAMES) await this.services[slot].remove(version);
  }

  freeSpace(): Promise<FreeSpace> {
    return this.services.blue.freeSpace();
  }

  /** The manifest is written under the blue slot's state directory; both slots record the release at prepare. */
  artifactFromTaskDefinition(reference: string): Promise<string> {
    return this.services.blue.artifactFromTaskDefinition(reference);
  }

  async close(): Promise<void> {
    await Promise.all(ECS_SLOT_NAMES.map((slot) => this.services[slot].close()));
  }
}

function requireSlot(slot: string): SlotName {
  if (!(ECS_SLOT_NAMES as readonly string[]).includes(slot)) throw new Error(`unknown slot ${JSON.stringify(slot)} (blue or green)`);
  return slot as SlotName;
}
