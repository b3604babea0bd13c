import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSampleArtifact } from '../src/demo/sample-artifacts.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// Feature flags a release declares: a rollback turns them off in the flag file, a roll-forward puts
// them back. Built CLI, the smallest sandbox (real PM2, SQLite ledger), a real JSON flag file.

describe('release flags through a rollback and a roll-forward (real CLI, PM2)', () => {
  let sandbox: Sandbox;
  let flagFile: string;
  const flags = async () => JSON.parse(await readFile(flagFile, 'utf8')) as Record<string, unknown>;
  const flagEvents = async () => (await sandbox.ledger.listEvents(ENV, { limit: 1000 })).filter((e) => e.event.startsWith('flags_')).map((e) => [e.event, e.data]);

  beforeAll(async () => {
    sandbox = await createSandbox({ databaseYaml: () => '    flags:\n      file: flags.json' });
    flagFile = join(sandbox.root, 'flags.json');
    await writeFile(flagFile, JSON.stringify({ 'new-checkout': true, 'dark-mode': true }));
    await sandbox.release('1.0.0');
    const dir = await buildSampleArtifact(join(sandbox.root, 'artifacts'), { version: '1.1.0' });
    const registered = await sandbox.cli(['release', 'register', ENV, '1.1.0', '--artifact', dir, '--ci', 'passed', '--flag', 'new-checkout']);
    expect(registered.code, registered.stderr).toBe(0);
    expect((await sandbox.cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
    const deployed = await sandbox.cli(['deploy', ENV, '1.1.0']);
    expect(deployed.code, deployed.stderr).toBe(0);
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('a bad --flag name is refused before anything is registered', async () => {
    const bad = await sandbox.cli(['release', 'register', ENV, '1.2.0', '--artifact', sandbox.root, '--flag', 'no spaces']);
    expect(bad.code).toBe(2);
    expect(await sandbox.ledger.getRelease(ENV, '1.2.0')).toBeUndefined();
  });

  it("a rollback turns off the rolled-back release's flags, keeps the others, and audits it", async () => {
    expect(await flags()).toEqual({ 'new-checkout': true, 'dark-mode': true });
    const rolled = await sandbox.cli(['rollback', ENV, '--yes', '--reason', 'checkout errors']);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(await flags()).toEqual({ 'new-checkout': false, 'dark-mode': true });
    const [rollback] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect(await flagEvents()).toEqual([['flags_off', { version: '1.1.0', flags: ['new-checkout'], previous: { 'new-checkout': true } }]]);
    expect((await sandbox.ledger.listEvents(ENV, { limit: 1000 })).find((e) => e.event === 'flags_off')!.operationId).toBe(rollback!.id);
  });

  it('deploying the release again (roll-forward) restores its flags as they were', async () => {
    const again = await sandbox.cli(['deploy', ENV, '1.1.0']);
    expect(again.code, again.stderr).toBe(0);
    expect(await flags()).toEqual({ 'new-checkout': true, 'dark-mode': true });
    expect((await flagEvents()).at(-1)).toEqual(['flags_restored', { version: '1.1.0', flags: ['new-checkout'], restored: { 'new-checkout': true } }]);
  });
});
