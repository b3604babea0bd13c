import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSampleArtifact } from '../src/demo/sample-artifacts.js';
import type { FlagService } from './support/flag-service.js';
import { flagLoopSuite, httpSource, TOKEN_ENV, type Source } from './support/flag-loop.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// The same loop against a real local flag service over HTTP (test/support/flag-service.ts: bearer
// auth, flags in memory), then a service that refuses the token. Built CLI, real PM2.

flagLoopSuite('a flag service over HTTP', httpSource);

describe('a flag service that refuses the token (real CLI, PM2)', () => {
  let sandbox: Sandbox;
  let source: Source & { service: FlagService };
  beforeAll(async () => {
    source = await httpSource();
    sandbox = await createSandbox({ databaseYaml: () => source.yaml({ root: '' }) });
    await source.seed({ 'new-checkout': true });
    await sandbox.release('1.0.0');
    const dir = await buildSampleArtifact(join(sandbox.root, 'artifacts'), { version: '1.1.0' });
    expect((await sandbox.cli(['release', 'register', ENV, '1.1.0', '--artifact', dir, '--ci', 'passed', '--flag', 'new-checkout'])).code).toBe(0);
    for (const version of ['1.0.0', '1.1.0']) expect((await sandbox.cli(['deploy', ENV, version], { env: source.env })).code).toBe(0);
  });
  afterAll(async () => {
    await sandbox?.close();
    await source?.close();
  });

  it('the rollback stands, the step says the flags were not turned off, stderr warns, and the token is in nothing rewind wrote', async () => {
    const wrong = 'not-the-token-but-secret-all-the-same';
    const rolled = await sandbox.cli(['rollback', ENV, '--yes'], { env: { [TOKEN_ENV]: wrong } });
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(Object.fromEntries(source.service.flags)).toEqual({ 'new-checkout': true });
    expect(rolled.stderr).toContain(`warning: the feature flags of 1.1.0 could not be turned off (the flag service ${source.service.url} refused the token (HTTP 401; check ${TOKEN_ENV})`);
    const [rollback] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    const step = (await sandbox.ledger.listSteps(rollback!.id)).find((s) => s.stepId === 'flags-off')!;
    expect(step.state).toBe('succeeded');
    expect((step.detail as { message: string; flagsFailed: boolean }).flagsFailed).toBe(true);
    const events = await sandbox.ledger.listEvents(ENV, { limit: 1000 });
    expect(events.filter((e) => e.event === 'flags_failed').map((e) => e.data.action)).toEqual(['off']);
    const written = JSON.stringify([events, await sandbox.ledger.listSteps(rollback!.id), rolled.stdout, rolled.stderr]);
    expect(written).not.toContain(wrong);
    expect(written).not.toContain(source.service.token);
  });
});
