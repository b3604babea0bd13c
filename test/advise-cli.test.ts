import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { freePort } from '../src/demo/sample-artifacts.js';
import { createSandbox, ENV, runCli, waitFor, type Sandbox } from './support/sandbox.js';

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
    // The number says where it came from: this environment has no watch.source to measure with.
    expect(lines).toContain(
      `  - error rate 8% is above 5%, given by --error-rate (not measured: no watch.source is configured for ${ENV}) — rule: an error rate above 5 % is Critical: roll back immediately`,
    );
    // The rules are stated, not cited from documents users never saw.
    expect(result.stdout).not.toMatch(/seed|playbook/i);
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

// The advisor measuring by itself: the environment's watch.source is the HTTP probe against the
// sample app under real PM2. 1.1.0 passes its watch window, then starts failing 20 % of requests
// (a release that goes bad later), which only a live measurement can see.
describe('rewind advise measures through watch.source (built CLI, real PM2)', () => {
  let sandbox: Sandbox;
  let deployId: string;
  let baselineP95: number;

  beforeAll(async () => {
    sandbox = await createSandbox({
      databaseYaml: (_root, port) =>
        `    watch:\n      windowMs: 2000\n      intervalMs: 1000\n      source:\n        type: http-probe\n        url: http://127.0.0.1:${port}/\n        requests: 40\n        concurrency: 2`,
    });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { errorRate: 0.2, errorAfterMs: 7000 } });
    expect((await deploy(sandbox.services, ENV, '1.0.0')).ok).toBe(true);
    const second = await deploy(sandbox.services, ENV, '1.1.0');
    expect(second.error?.message).toBeUndefined();
    deployId = second.operation!.id;
    const baseline = (await sandbox.ledger.listSteps(deployId)).find((s) => s.stepId === 'baseline-metrics')!;
    baselineP95 = (baseline.detail as { baseline: { latency_p95_ms: number } }).baseline.latency_p95_ms;
    // Until the fault starts: the first 500 from an ordinary page.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${sandbox.port}/`)).status === 500, 20_000, 100);
  }, 90_000);
  afterAll(async () => sandbox?.close());

  it('recommends a rollback citing the error rate it measured, and the latency ratio over the recorded baseline', async () => {
    const result = await sandbox.cli(['advise', ENV, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const advice = JSON.parse(result.stdout) as Record<string, any>;
    expect(advice).toMatchObject({ action: 'rollback', severity: 'critical', argv: ['rewind', 'rollback', ENV, '--yes', '--config', sandbox.configPath], findings: [{ issue: 'error-rate' }] });
    const errorRate = advice.signals.metrics.errorRate;
    expect(errorRate).toMatchObject({ status: 'measured', via: 'http-probe' });
    // The probe's two bursts share the app's deterministic fault, so each sees about a fifth.
    expect(errorRate.value).toBeGreaterThan(0.05);
    expect(errorRate.value).toBeLessThan(0.5);
    expect(advice.signals.errorRate).toBe(errorRate.value);
    expect(advice.signals.origins.errorRate).toEqual({ from: 'measured', via: 'http-probe', detail: errorRate.detail });
    expect(advice.reasons[0]).toMatch(/^error rate [\d.]+% is above 5%, measured via http-probe: \d+ of 40 requests failed — rule: an error rate above 5 % is Critical/);
    const latency = advice.signals.metrics.latencyRatio;
    expect(latency).toMatchObject({ status: 'measured', via: 'http-probe' });
    expect(latency.detail).toContain(`over the ${baselineP95.toFixed(1)} ms baseline recorded before the deploy of 1.1.0 (${deployId})`);
    // Read-only: still 1.1.0, still the two deploys.
    expect(await sandbox.served()).toMatchObject({ version: '1.1.0' });
    expect(await sandbox.ledger.listOperations(ENV)).toHaveLength(2);
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('good');
  });

  it('a flag overrides the measured rate, and the reason gives both', async () => {
    const result = await sandbox.cli(['advise', ENV, '--error-rate', '1%']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}- error rate 1% is within 5%, given by --error-rate \(http-probe measured [\d.]+%\)$/m);
    expect(result.stdout.split('\n')[0]).toBe(`advice    NO ACTION: keep watching (${ENV})`);
  });

  it('a dead source: the metrics are unknown with the reason, and the advice still comes out', async () => {
    const dead = await freePort();
    const text = await readFile(sandbox.configPath, 'utf8');
    const probe = text.slice(text.indexOf('        type: http-probe'));
    expect(probe).toContain('concurrency: 2');
    const deadConfig = join(sandbox.root, 'rewind-dead-prometheus.yaml');
    await writeFile(deadConfig, text.replace(probe, `        type: prometheus\n        url: http://127.0.0.1:${dead}\n        timeoutMs: 500\n        queries:\n          error_rate: sum(rate(http_requests_total{status="500"}[{{window}}]))\n          latency_p95_ms: "1"\n`));
    const result = await runCli(['advise', ENV, '--config', deadConfig]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`advice    NO ACTION: keep watching (${ENV})`);
    expect(lines.some((l) => new RegExp(`^ {2}- error rate unknown: prometheus failed: .*127\\.0\\.0\\.1:${dead}`).test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('  - latency ratio unknown: prometheus failed: '))).toBe(true);
    expect(lines).toContain('  - the error rate is not known, so it cannot have fired: pass --error-rate if you have a number');
    expect(lines.some((l) => l.startsWith('  - the health check passes: '))).toBe(true);
  });
});
