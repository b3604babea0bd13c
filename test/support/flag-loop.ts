import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/core/plan.js';
import { buildSampleArtifact } from '../../src/demo/sample-artifacts.js';
import { startFlagService, type FlagService } from './flag-service.js';
import { createSandbox, ENV, type Sandbox } from './sandbox.js';

// Feature flags a release declares through a rollback and a roll-forward, for any flag source: the
// suite the flag e2e files run (a flag file; a flag service over HTTP).

export const TOKEN_ENV = 'REWIND_E2E_FLAG_TOKEN';

export interface Source {
  yaml(sandbox: { root: string }): string;
  seed(flags: Record<string, boolean>): Promise<void>;
  flags(): Promise<Record<string, unknown>>;
  /** What the CLI needs in its environment (the HTTP source's token). */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function fileSource(): Promise<Source> {
  let path = '';
  return {
    yaml: (sandbox) => ((path = join(sandbox.root, 'flags.json')), '    flags:\n      file: flags.json'),
    seed: (flags) => writeFile(path, JSON.stringify(flags)),
    flags: async () => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>,
    env: {},
    close: async () => undefined,
  };
}

export async function httpSource(): Promise<Source & { service: FlagService }> {
  const service = await startFlagService();
  return {
    service,
    yaml: () => `    flags:\n      http:\n        url: ${service.url}\n        tokenEnv: ${TOKEN_ENV}\n        timeoutMs: 1000`,
    seed: async (flags) => void (service.flags = new Map(Object.entries(flags))),
    flags: async () => Object.fromEntries(service.flags),
    env: { [TOKEN_ENV]: service.token },
    close: () => service.close(),
  };
}

export function flagLoopSuite(name: string, open: () => Promise<Source>): void {
  describe(`release flags through a rollback and a roll-forward, ${name} (real CLI, PM2)`, () => {
    let sandbox: Sandbox;
    let source: Source;
    const cli = (args: string[]) => sandbox.cli(args, { env: source.env });
    const flagEvents = async () => (await sandbox.ledger.listEvents(ENV, { limit: 1000 })).filter((e) => e.event.startsWith('flags_')).map((e) => [e.event, e.data]);
    const stepsOf = async (id: string) => (await sandbox.ledger.listSteps(id)).map((s) => [s.stepId, s.state]);

    beforeAll(async () => {
      source = await open();
      sandbox = await createSandbox({ databaseYaml: (root) => source.yaml({ root }) });
      await source.seed({ 'new-checkout': true, 'dark-mode': true });
      await sandbox.release('1.0.0');
      const dir = await buildSampleArtifact(join(sandbox.root, 'artifacts'), { version: '1.1.0' });
      const registered = await cli(['release', 'register', ENV, '1.1.0', '--artifact', dir, '--ci', 'passed', '--flag', 'new-checkout']);
      expect(registered.code, registered.stderr).toBe(0);
      expect((await cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
      const deployed = await cli(['deploy', ENV, '1.1.0']);
      expect(deployed.code, deployed.stderr).toBe(0);
    });
    afterAll(async () => {
      await sandbox?.close();
      await source?.close();
    });

    it('a bad --flag name is refused before anything is registered', async () => {
      const bad = await cli(['release', 'register', ENV, '1.2.0', '--artifact', sandbox.root, '--flag', 'no spaces']);
      expect(bad.code).toBe(2);
      expect(await sandbox.ledger.getRelease(ENV, '1.2.0')).toBeUndefined();
    });

    it("--dry-run shows turning the release's flags off as a step of the rollback, and changes nothing", async () => {
      const dry = await cli(['rollback', ENV, '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      const { plan } = JSON.parse(dry.stdout) as { plan: Plan };
      const step = plan.steps.find((s) => s.id === 'flags-off')!;
      expect(step).toMatchObject({ kind: 'flags-off', phase: 'finalize', params: { version: '1.1.0', flags: ['new-checkout'] } });
      expect(step.effects[0]).toMatch(/^set new-checkout to false in the (flag file .*flags\.json|flag service http:\/\/127\.0\.0\.1:\d+)/);
      expect(plan.steps.map((s) => s.id).indexOf('flags-off')).toBe(plan.steps.map((s) => s.id).indexOf('rollback-complete') + 1);
      expect(await source.flags()).toEqual({ 'new-checkout': true, 'dark-mode': true });
    });

    it("a rollback turns off the rolled-back release's flags as a journaled step, keeps the others, and audits it", async () => {
      const rolled = await cli(['rollback', ENV, '--yes', '--reason', 'checkout errors']);
      expect(rolled.code, rolled.stderr).toBe(0);
      expect(await source.flags()).toEqual({ 'new-checkout': false, 'dark-mode': true });
      const [rollback] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
      expect((await stepsOf(rollback!.id)).slice(-2)).toEqual([
        ['rollback-complete', 'succeeded'],
        ['flags-off', 'succeeded'],
      ]);
      expect(await flagEvents()).toEqual([['flags_off', { version: '1.1.0', flags: ['new-checkout'], previous: { 'new-checkout': true } }]]);
      expect((await sandbox.ledger.listEvents(ENV, { limit: 1000 })).find((e) => e.event === 'flags_off')!.operationId).toBe(rollback!.id);
    });

    it('deploying the release again (roll-forward) restores its flags as they were, as a step of the deploy', async () => {
      const dry = JSON.parse((await cli(['deploy', ENV, '1.1.0', '--dry-run', '--json'])).stdout) as { plan: Plan };
      expect(dry.plan.steps.find((s) => s.id === 'flags-restore')?.effects[0]).toMatch(/^put new-checkout=true back in the /);
      const again = await cli(['deploy', ENV, '1.1.0']);
      expect(again.code, again.stderr).toBe(0);
      expect(await source.flags()).toEqual({ 'new-checkout': true, 'dark-mode': true });
      const [deploy] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
      expect(await stepsOf(deploy!.id)).toContainEqual(['flags-restore', 'succeeded']);
      expect((await flagEvents()).at(-1)).toEqual(['flags_restored', { version: '1.1.0', flags: ['new-checkout'], restored: { 'new-checkout': true } }]);
      // Restored once: the next deploy plan has nothing to put back.
      const next = JSON.parse((await cli(['deploy', ENV, '1.0.0', '--dry-run', '--json'])).stdout) as { plan: Plan };
      expect(next.plan.steps.map((s) => s.id)).not.toContain('flags-restore');
    });
  });
}

