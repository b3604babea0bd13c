import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// `rewind advise` as an operator runs it: the built CLI, a real ledger, the sample app under real
// PM2 answering the configured health check. It reads and recommends; it changes nothing.
describe('rewind advise (built CLI, real PM2)', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await createSandbox();
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
    expect((await deploy(sandbox.services, ENV, '1.0.0')).ok).toBe(true);
    expect((await deploy(sandbox.services, ENV, '1.1.0')).ok).toBe(true);
  });
  afterAll(async () => sandbox?.close());

  it('prints the action, severity, time to act, the exact command and each reason', async () => {
    const result = await sandbox.cli(['advise', ENV, '--error-rate', '8%']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 4)).toEqual([`advice    ROLL BACK (${ENV})`, 'severity  critical', 'act       immediately', `run       rewind rollback ${ENV} --yes --config ${sandbox.configPath}`]);
    expect(lines).toContain('  - error rate 8% is above 5% — seed 002 "When to Rollback": "Error rate exceeds 5%" → Critical, Rollback immediately');
    // The health check really ran against 1.1.0.
    expect(lines.some((l) => /^ {2}- the health check passes: healthy: GET http:\/\/127\.0\.0\.1:\d+\/health → status 200/.test(l))).toBe(true);
    expect(lines).toContain('mind');
    // Advice changes nothing: 1.1.0 still serves and no operation was recorded.
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
    expect(await sandbox.ledger.listOperations(ENV)).toHaveLength(2);
  });

  it('--json prints the structured advice with the signals it read', async () => {
    const result = await sandbox.cli(['advise', ENV, '--minor', '--users-affected', 'few', '--json']);
    expect(result.code).toBe(0);
    const advice = JSON.parse(result.stdout) as Record<string, any>;
    expect(advice).toMatchObject({
      env: ENV,
      action: 'fix-forward',
      severity: 'low',
      actWithin: 'next release',
      command: `rewind deploy ${ENV} 1.1.1 --config ${sandbox.configPath}`,
      argv: ['rewind', 'deploy', ENV, '1.1.1', '--config', sandbox.configPath],
      findings: [{ issue: 'minor-ui-bug', severity: 'low' }],
      signals: { health: { status: 'ok' }, current: { version: '1.1.0', state: 'good', ci: 'passed' }, lastKnownGood: { version: '1.0.0', ci: 'passed' }, minor: true, usersAffected: 'few', unfinished: [] },
    });
  });

  it('refuses a bad --fix-eta with REWIND_E_USAGE naming the flag, before reading anything', async () => {
    const result = await sandbox.cli(['advise', ENV, '--fix-eta', 'soon', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'REWIND_E_USAGE', argument: '--fix-eta', value: 'soon' } });
    expect(result.stderr).toContain('error REWIND_E_USAGE: --fix-eta "soon" is not valid: expected a duration such as 20m, 1h, 90s or 1h30m');
  });
});
