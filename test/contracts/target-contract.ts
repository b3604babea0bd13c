import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ReleaseArtifact, Target } from '../../src/ports/target.js';
import { contractSuite, type ContractRun } from './contract-suite.js';

/** What a Target test file hands the contract: a target on a throwaway root, running a real app. */
export interface TargetHarness {
  target: Target;
  /**
   * A release of the test app for `version`, as the core hands it to prepare: built, with its
   * registered digest (versions the contract asks for are distinct; the harness may build them on demand).
   */
  release(version: string): Promise<ReleaseArtifact>;
  /**
   * The versions the app answers with right now, one per endpoint that answers (a slotted target
   * has two), sorted; empty when nothing answers. Asked of the app over HTTP, not of the target.
   */
  answering(): Promise<string[]>;
  /** Stops what the target started and removes its files. */
  cleanup(): Promise<void>;
}

export interface TargetContractOptions extends ContractRun {
  create(): Promise<TargetHarness>;
  /**
   * The optional parts of the port this adapter has: the cases about them run only when declared,
   * and the first case checks the target really has exactly these.
   */
  capabilities: {
    /**
     * `servedVersions()` that can tell what really serves, per live process. Undeclared, the method is
     * absent or, as the port allows, answers null (releases with a runtime that cannot tell).
     */
    servedVersions: boolean;
    /** Two warm slots: `slots()`, `startOnSlot()`, `markActive()` (and keepsPreviousWarm + trafficSplit). */
    slots: boolean;
    /** `releaseDir()`: prepared releases are files on this machine. */
    releaseDir: boolean;
  };
}

/** What the target says about itself, for "nothing changed" checks. */
async function stateOf(harness: TargetHarness) {
  const { target } = harness;
  return {
    active: await target.activeVersion(),
    installed: (await target.installedVersions()).sort(),
    answering: await harness.answering(),
    slots: target.slots ? (await target.slots()).map(({ name, version, online }) => ({ name, version, online })) : null,
  };
}

/**
 * The Target contract, read from the doc comments of src/ports/target.ts: prepare is idempotent and
 * verifies the digest; activate makes a prepared version the one that serves, is idempotent, and
 * refuses a version never prepared without changing anything; remove refuses the active release;
 * stop is idempotent; what the target reports agrees with what the app answers. The cases share one
 * target and run in order (the app keeps running between them, as on a server).
 */
export function targetContract(options: TargetContractOptions): void {
  contractSuite('Target', options, (cases) => {
    let harness: TargetHarness;
    const target = () => harness.target;
    /** Prepares `version` (once) and returns its artifact. */
    const prepared = async (version: string) => {
      const release = await harness.release(version);
      const outcome = await target().prepare(release);
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
      return release;
    };
    /** No staging or half-deleted directories next to the releases (prepare and remove work under temporary names). */
    const noTemporaries = async (version: string) => {
      if (!options.capabilities.releaseDir) return;
      const releases = dirname(target().releaseDir!(version));
      if (!existsSync(releases)) return;
      expect((await readdir(releases)).filter((name) => name.startsWith('.'))).toEqual([]);
    };

    beforeAll(async () => {
      harness = await options.create();
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    cases.it('has exactly the optional parts it declares, and capabilities as booleans', async () => {
      const t = target();
      expect(t.type).toMatch(/^[a-z][a-z0-9-]*$/);
      for (const flag of ['atomicSwitch', 'keepsPreviousWarm', 'trafficSplit', 'nativeRollback', 'zeroDowntimeReload'] as const) expect(typeof t.capabilities[flag]).toBe('boolean');
      if (options.capabilities.servedVersions) expect(typeof t.servedVersions).toBe('function');
      else if (t.servedVersions) expect(await t.servedVersions()).toBeNull();
      expect(typeof t.releaseDir === 'function').toBe(options.capabilities.releaseDir);
      const slotted = options.capabilities.slots;
      expect([typeof t.slots, typeof t.startOnSlot, typeof t.describeStartOnSlot, typeof t.markActive]).toEqual(slotted ? ['function', 'function', 'function', 'function'] : ['undefined', 'undefined', 'undefined', expect.any(String)]);
      // The core picks blue-green and canary from these flags: a slotted target must raise both.
      if (slotted) expect(t.capabilities).toMatchObject({ keepsPreviousWarm: true, trafficSplit: true });
    });

    cases.it('describes prepare and activate without doing anything', async () => {
      const before = await stateOf(harness);
      const release = await harness.release('0.1.0');
      for (const description of [target().describePrepare(release), target().describeActivate('0.1.0')]) {
        expect(description.summary).toContain('0.1.0');
        expect(Array.isArray(description.commands)).toBe(true);
        expect(Array.isArray(description.effects)).toBe(true);
      }
      expect(await stateOf(harness)).toEqual(before);
    });

    cases.it('activate of a version never prepared fails with REWIND_E_ARTIFACT_NOT_FOUND and changes nothing', async () => {
      const before = await stateOf(harness);
      const outcome = await target().activate('9.9.9');
      expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ARTIFACT_NOT_FOUND' });
      expect(await stateOf(harness)).toEqual(before);
    });

    cases.it('prepare installs a release without activating it, and a second prepare reuses it', async () => {
      const before = await stateOf(harness);
      const release = await harness.release('1.0.0');
      expect(await target().prepare(release)).toMatchObject({ status: 'succeeded' });
      const after = await stateOf(harness);
      expect(after).toEqual({ ...before, installed: [...before.installed, '1.0.0'].sort() });
      if (options.capabilities.releaseDir) expect(existsSync(target().releaseDir!('1.0.0'))).toBe(true);
      // Idempotent: safe to repeat after a crash, and nothing changes.
      expect(await target().prepare(release)).toMatchObject({ status: 'succeeded' });
      expect(await stateOf(harness)).toEqual(after);
      await noTemporaries('1.0.0');
    });

    cases.it('prepare verifies the digest first: a wrong one fails with REWIND_E_ARTIFACT_DIGEST_MISMATCH and installs nothing', async () => {
      const before = await stateOf(harness);
      const release = await harness.release('1.0.1');
      const wrong = { ...release, digest: `sha256:${'0'.repeat(64)}` };
      expect(await target().prepare(wrong)).toMatchObject({ status: 'failed', code: 'REWIND_E_ARTIFACT_DIGEST_MISMATCH' });
      expect(await stateOf(harness)).toEqual(before);
      await noTemporaries('1.0.1');
      // A release already prepared is not taken for another digest either.
      expect(await target().prepare({ ...(await harness.release('1.0.0')), digest: wrong.digest })).toMatchObject({ status: 'failed', code: 'REWIND_E_ARTIFACT_DIGEST_MISMATCH' });
      expect(await stateOf(harness)).toEqual(before);
    });

    cases.it('prepare of a release whose artifact is gone fails with REWIND_E_ARTIFACT_NOT_FOUND and installs nothing', async () => {
      const before = await stateOf(harness);
      const release = await harness.release('1.0.2');
      const gone = { ...release, artifact: `${release.artifact}-gone`, stored: undefined };
      expect(await target().prepare(gone)).toMatchObject({ status: 'failed', code: 'REWIND_E_ARTIFACT_NOT_FOUND' });
      expect(await stateOf(harness)).toEqual(before);
      await noTemporaries('1.0.2');
    });

    cases.it('activate makes the version active: activeVersion, installedVersions and the app agree', async () => {
      await prepared('1.0.0');
      const outcome = await target().activate('1.0.0');
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
      expect(await target().activeVersion()).toBe('1.0.0');
      expect(await target().installedVersions()).toContain('1.0.0');
      expect(await harness.answering()).toContain('1.0.0');
    });

    cases.it('activate again of the active version succeeds and changes nothing', async () => {
      const before = await stateOf(harness);
      const outcome = await target().activate('1.0.0');
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
      expect(await stateOf(harness)).toEqual(before);
    });

    cases.it('activate of another prepared version switches to it and keeps the previous one installed', async () => {
      await prepared('1.1.0');
      const outcome = await target().activate('1.1.0');
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
      expect(await target().activeVersion()).toBe('1.1.0');
      expect(await target().installedVersions()).toEqual(expect.arrayContaining(['1.0.0', '1.1.0']));
      const answering = await harness.answering();
      expect(answering).toContain('1.1.0');
      // Without warm slots, one release serves at a time.
      if (!options.capabilities.slots) expect(answering).toEqual(['1.1.0']);
    });

    cases.itWith('servedVersions', options.capabilities.servedVersions, 'servedVersions names the active release for every live process', async () => {
      const served = await target().servedVersions!();
      expect(served).not.toBeNull();
      expect(served!.length).toBeGreaterThan(0);
      for (const process of served!) {
        expect(process.version).toBe('1.1.0');
        expect(process.where.length).toBeGreaterThan(0);
      }
    });

    cases.it('remove refuses the active release and keeps it serving', async () => {
      const before = await stateOf(harness);
      await expect(target().remove('1.1.0')).rejects.toThrow();
      expect(await stateOf(harness)).toEqual(before);
    });

    cases.it('remove deletes an installed release that is not active', async () => {
      await prepared('0.9.0');
      const before = await stateOf(harness);
      await target().remove('0.9.0');
      expect(await stateOf(harness)).toEqual({ ...before, installed: before.installed.filter((v) => v !== '0.9.0') });
      if (options.capabilities.releaseDir) expect(existsSync(target().releaseDir!('0.9.0'))).toBe(false);
      await noTemporaries('0.9.0');
    });

    cases.itWith('slots', options.capabilities.slots, 'slots name each slot with its address (when slots have one), the release it holds and whether it runs', async () => {
      const slots = await target().slots!();
      expect(slots.length).toBeGreaterThanOrEqual(2);
      expect(new Set(slots.map((s) => s.name)).size).toBe(slots.length);
      // Either every slot has an address of its own (a process on a port) or none has (ECS services behind target groups).
      const addressed = slots.filter((s) => s.host !== undefined);
      expect([0, slots.length]).toContain(addressed.length);
      if (addressed.length) expect(new Set(slots.map((s) => s.port)).size).toBe(slots.length);
      for (const slot of addressed) expect(slot.host!.length).toBeGreaterThan(0);
      // What the last activations left: both releases warm, each on its own slot.
      expect(slots.filter((s) => s.online).map((s) => s.version).sort()).toEqual(['1.0.0', '1.1.0']);
      expect(await harness.answering()).toEqual(['1.0.0', '1.1.0']);
    });

    cases.itWith('slots', options.capabilities.slots, 'startOnSlot runs a version on one slot without touching the other, and is idempotent', async () => {
      await prepared('1.2.0');
      const [first, second] = await target().slots!();
      const other = second!;
      const description = target().describeStartOnSlot!(first!.name, '1.2.0');
      expect(description.summary).toContain('1.2.0');
      for (let i = 0; i < 2; i++) {
        const outcome = await target().startOnSlot!(first!.name, '1.2.0');
        expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
        const slots = await target().slots!();
        expect(slots.find((s) => s.name === first!.name)).toMatchObject({ version: '1.2.0', online: true });
        expect(slots.find((s) => s.name === other.name)).toMatchObject({ version: other.version, online: other.online });
      }
      expect(await harness.answering()).toEqual([other.version!, '1.2.0'].sort());
      // Starting is not switching: the active release is recorded by markActive.
      expect(await target().activeVersion()).toBe('1.1.0');
    });

    cases.itWith('slots', options.capabilities.slots, 'startOnSlot of a version never prepared fails with REWIND_E_ARTIFACT_NOT_FOUND and changes nothing', async () => {
      const before = await stateOf(harness);
      const [slot] = await target().slots!();
      expect(await target().startOnSlot!(slot!.name, '9.9.9')).toMatchObject({ status: 'failed', code: 'REWIND_E_ARTIFACT_NOT_FOUND' });
      expect(await stateOf(harness)).toEqual(before);
    });

    cases.itWith('slots', options.capabilities.slots, 'markActive records the active release without starting or stopping anything, idempotently', async () => {
      const before = await stateOf(harness);
      for (let i = 0; i < 2; i++) {
        await target().markActive!('1.2.0');
        expect(await stateOf(harness)).toEqual({ ...before, active: '1.2.0' });
      }
    });

    cases.it('stop stops the app and is idempotent; the active release stays recorded; activate starts it again', async () => {
      const active = await target().activeVersion();
      expect(active).not.toBeNull();
      for (let i = 0; i < 2; i++) {
        const outcome = await target().stop();
        expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
        expect(await harness.answering()).toEqual([]);
        expect(await target().activeVersion()).toBe(active);
        if (options.capabilities.servedVersions) expect(await target().servedVersions!()).toEqual([]);
        if (options.capabilities.slots) expect((await target().slots!()).map((s) => s.online)).toEqual((await target().slots!()).map(() => false));
      }
      const outcome = await target().activate(active!);
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
      expect(await harness.answering()).toContain(active);
      expect(await target().activeVersion()).toBe(active);
    });

    cases.it('freeSpace measures an existing path where releases are prepared', async () => {
      const space = await target().freeSpace();
      expect(existsSync(space.path)).toBe(true);
      expect(Number.isSafeInteger(space.bytes)).toBe(true);
      expect(space.bytes).toBeGreaterThan(0);
    });
  });
}
