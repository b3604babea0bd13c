import { describe, expect, it } from 'vitest';
import { environmentSchema, type EnvironmentConfig } from '../../config/config-schema.js';
import type { ReleaseRecord } from '../../ports/ledger.js';
import type { ReleaseArtifact } from '../../ports/target.js';
import { PLAN_FORMAT_VERSION, type Plan } from '../plan.js';
import { planDeploy } from './deploy-plan.js';
import { planRollback } from './rollback-plan.js';
import type { TargetDescriber } from './target-describer.js';

/** A describer that records what the planner asked of it; the planner must call nothing else. */
function fakeTarget(options: { zeroDowntimeReload?: boolean; keepsPreviousWarm?: boolean } = {}) {
  const calls: string[] = [];
  const target: TargetDescriber = {
    type: 'fake',
    capabilities: {
      atomicSwitch: true,
      keepsPreviousWarm: options.keepsPreviousWarm ?? false,
      trafficSplit: false,
      nativeRollback: false,
      zeroDowntimeReload: options.zeroDowntimeReload ?? true,
    },
    describePrepare(release: ReleaseArtifact) {
      calls.push(`prepare ${release.version} ${release.digest}`);
      return { summary: `fake unpack ${release.version}`, commands: [{ argv: ['tar', '-x', release.artifact] }], effects: [`into /srv/${release.version}`] };
    },
    describeActivate(version: string) {
      calls.push(`activate ${version}`);
      return { summary: `fake switch to ${version}`, commands: [{ argv: ['reload', '--version', version], timeoutMs: 1000 }], effects: [`link -> ${version}`] };
    },
  };
  return { target, calls };
}

function release(version: string, overrides: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    env: 'production',
    version,
    seq: 1,
    artifact: `/artifacts/${version}`,
    digest: `sha256:${version.replace(/\./g, '')}`,
    commit: '3f2a9c1deadbeef00',
    ci: 'passed',
    state: 'registered',
    goodSeq: null,
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

function envConfig(overrides: Record<string, unknown> = {}): EnvironmentConfig {
  return environmentSchema.parse({
    target: { type: 'releases', path: '/srv/app', keep: 3, runtime: { type: 'pm2', name: 'app' } },
    health: { url: 'http://127.0.0.1:3000/health', json: { version: '{{version}}' } },
    ...overrides,
  });
}

const noHealthConfig = (): EnvironmentConfig =>
  environmentSchema.parse({ target: { type: 'releases', path: '/srv/app', keep: 3, runtime: { type: 'pm2', name: 'app' } } });

const ids = (plan: Plan) => plan.steps.map((s) => s.id);
const phases = (plan: Plan) => plan.steps.map((s) => `${s.id}:${s.phase}`);

describe('planDeploy', () => {
  const v1 = release('1.0.0', { state: 'good', goodSeq: 1 });
  const v2 = release('1.1.0', { seq: 2 });

  it('orders the steps and phases: record-running, disk-space, baseline-health, prepare, activate, health, mark-good, prune', () => {
    const { target } = fakeTarget();
    const plan = planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: v1, lkg: v1 });
    expect(phases(plan)).toEqual([
      'record-running:preflight',
      'disk-space:preflight',
      'baseline-health:preflight',
      'prepare:preflight',
      'activate:change',
      'health:verify',
      'mark-good:finalize',
      'prune:finalize',
    ]);
    expect(plan.steps.map((s) => s.kind)).toEqual(ids(plan));
    expect(plan).toMatchObject({ version: PLAN_FORMAT_VERSION, kind: 'deploy', env: 'production', from: '1.0.0', to: '1.1.0', rollbackTo: '1.0.0' });
  });

  it('probes the baseline health of the running release, and the new release after activation', () => {
    const { target } = fakeTarget();
    const plan = planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: v1, lkg: v1 });
    const baseline = plan.steps.find((s) => s.id === 'baseline-health')!;
    const health = plan.steps.find((s) => s.id === 'health')!;
    expect(baseline.params).toEqual({ version: '1.0.0' });
    expect(health.params).toEqual({ version: '1.1.0' });
    // {{version}} is replaced by the release being probed; 1 + retries (default 5) attempts.
    expect(baseline.effects[0]).toContain('"version":"1.0.0"');
    expect(health.effects[0]).toBe('GET http://127.0.0.1:3000/health expecting 200 and {"version":"1.1.0"}; up to 6 attempts');
  });

  it('takes prepare and activate from the target describers, commands included', () => {
    const { target, calls } = fakeTarget();
    const plan = planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: v1, lkg: v1 });
    expect(calls.sort()).toEqual(['activate 1.1.0', 'prepare 1.1.0 sha256:110']);
    const prepare = plan.steps.find((s) => s.id === 'prepare')!;
    const activate = plan.steps.find((s) => s.id === 'activate')!;
    expect(prepare).toMatchObject({
      title: 'fake unpack 1.1.0',
      params: { version: '1.1.0', artifact: '/artifacts/1.1.0', digest: 'sha256:110' },
      commands: [{ argv: ['tar', '-x', '/artifacts/1.1.0'] }],
      effects: ['into /srv/1.1.0'],
    });
    expect(activate).toMatchObject({ params: { version: '1.1.0', mode: 'deploy' }, commands: [{ argv: ['reload', '--version', '1.1.0'], timeoutMs: 1000 }] });
    expect(plan.steps.find((s) => s.id === 'prune')!.params).toEqual({ keep: 3 });
    expect(plan.steps.find((s) => s.id === 'disk-space')!.params).toEqual({ artifact: '/artifacts/1.1.0', minFreeMb: 100 });
    expect(plan.steps.find((s) => s.id === 'record-running')!.params).toEqual({ expected: '1.0.0', commit: '3f2a9c1deadbeef00' });
  });

  it('has no baseline-health step on a first deploy (no current release)', () => {
    const { target } = fakeTarget();
    const plan = planDeploy({ env: 'production', config: envConfig(), target, release: v1, current: null, lkg: null });
    expect(ids(plan)).toEqual(['record-running', 'disk-space', 'prepare', 'activate', 'health', 'mark-good', 'prune']);
    expect(plan.from).toBeNull();
    expect(plan.rollbackTo).toBeNull();
    expect(plan.notes).toContain('first deploy to this environment: no running release to record or probe');
    expect(plan.steps[0]!.params).toEqual({ expected: null, commit: null });
  });

  it('has no baseline-health and no health step when no health check is configured', () => {
    const { target } = fakeTarget();
    const plan = planDeploy({ env: 'production', config: noHealthConfig(), target, release: v2, current: v1, lkg: v1 });
    expect(ids(plan)).toEqual(['record-running', 'disk-space', 'prepare', 'activate', 'mark-good', 'prune']);
    expect(plan.notes.some((n) => n.startsWith('no health check configured'))).toBe(true);
  });

  it('skips baseline-health when deploy.baselineHealth is false or the caller asks, and says so', () => {
    const { target } = fakeTarget();
    const byConfig = planDeploy({ env: 'production', config: envConfig({ deploy: { baselineHealth: false } }), target, release: v2, current: v1, lkg: v1 });
    const byOption = planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: v1, lkg: v1, options: { baseline: false } });
    for (const plan of [byConfig, byOption]) {
      expect(ids(plan)).not.toContain('baseline-health');
      expect(ids(plan)).toContain('health');
      expect(plan.notes).toContain('baseline health skipped by request');
    }
    // The option overrides the config in both directions.
    const forced = planDeploy({ env: 'production', config: envConfig({ deploy: { baselineHealth: false } }), target, release: v2, current: v1, lkg: v1, options: { baseline: true } });
    expect(ids(forced)).toContain('baseline-health');
  });

  it('probes the baseline only of a running release known good: one that failed or was never judged is no baseline, and the plan says why', () => {
    const { target } = fakeTarget();
    // Refusing on these left no way forward when there was no LKG either (issue 12: deploy and rollback both refused).
    for (const state of ['failed', 'live', 'rolled-back'] as const) {
      const running = release('1.0.0', { state, goodSeq: state === 'live' ? null : 1 });
      const plan = planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: running, lkg: null });
      expect(ids(plan)).not.toContain('baseline-health');
      expect(ids(plan)).toContain('health');
      expect(plan.notes).toContain(`baseline health skipped: the running release 1.0.0 is ${state}, not known good (a failing probe of it would not tell a sick environment)`);
    }
    const superseded = planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: release('1.0.0', { state: 'superseded', goodSeq: 1 }), lkg: null });
    expect(ids(superseded)).toContain('baseline-health');
    // Asked for explicitly, it probes whatever runs.
    const asked = planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: release('1.0.0', { state: 'failed' }), lkg: null, options: { baseline: true } });
    expect(ids(asked)).toContain('baseline-health');
  });

  it('records the state the release to activate had when planned (an abandoned operation gives a good verdict back)', () => {
    const { target } = fakeTarget();
    expect(planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: v1, lkg: v1 }).toState).toBe('registered');
    const again = release('0.9.0', { state: 'superseded', goodSeq: 1 });
    expect(planDeploy({ env: 'production', config: envConfig(), target, release: again, current: v1, lkg: v1 }).toState).toBe('superseded');
    expect(planRollback({ env: 'production', config: envConfig(), target, from: v1, to: again, reason: 'r', automatic: false }).toState).toBe('superseded');
  });

  it('sets rollbackTo to the LKG when autoRollback is on, and null when it is off', () => {
    const { target } = fakeTarget();
    const lkg = release('0.9.0', { state: 'good', goodSeq: 4 });
    const on = planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: v1, lkg });
    expect(on.rollbackTo).toBe('0.9.0');
    expect(on.notes.at(-1)).toBe('if a step after activation fails, rewind rolls back by itself to the last known good release 0.9.0');
    const offByConfig = planDeploy({ env: 'production', config: envConfig({ deploy: { autoRollback: false } }), target, release: v2, current: v1, lkg });
    const offByOption = planDeploy({ env: 'production', config: envConfig(), target, release: v2, current: v1, lkg, options: { autoRollback: false } });
    expect(offByConfig.rollbackTo).toBeNull();
    expect(offByOption.rollbackTo).toBeNull();
    expect(offByOption.notes.at(-1)).toContain('automatic rollback is off');
    const onByOption = planDeploy({ env: 'production', config: envConfig({ deploy: { autoRollback: false } }), target, release: v2, current: v1, lkg, options: { autoRollback: true } });
    expect(onByOption.rollbackTo).toBe('0.9.0');
  });

  it('warns about an interruption when the target cannot reload without downtime', () => {
    const plan = planDeploy({ env: 'production', config: envConfig(), target: fakeTarget({ zeroDowntimeReload: false }).target, release: v2, current: v1, lkg: v1 });
    expect(plan.notes).toContain('the fake target restarts the app to activate: expect a brief interruption');
    const smooth = planDeploy({ env: 'production', config: envConfig(), target: fakeTarget().target, release: v2, current: v1, lkg: v1 });
    expect(smooth.notes.some((n) => n.includes('interruption'))).toBe(false);
  });

  it('is plain JSON-serialisable data and deterministic', () => {
    const make = () => planDeploy({ env: 'production', config: envConfig(), target: fakeTarget().target, release: v2, current: v1, lkg: v1 });
    const plan = make();
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    expect(make()).toEqual(plan);
  });
});

describe('planRollback', () => {
  const good = release('1.0.0', { state: 'good', goodSeq: 3 });
  const failing = release('1.1.0', { seq: 2, state: 'failed' });

  it('orders the steps rollback-start, prepare, activate, health, rollback-complete', () => {
    const { target, calls } = fakeTarget();
    const plan = planRollback({ env: 'production', config: envConfig(), target, from: failing, to: good, reason: 'health failed', automatic: true });
    expect(phases(plan)).toEqual(['rollback-start:preflight', 'prepare:preflight', 'activate:change', 'health:verify', 'rollback-complete:finalize']);
    expect(plan).toMatchObject({ version: PLAN_FORMAT_VERSION, kind: 'rollback', env: 'production', from: '1.1.0', to: '1.0.0', automatic: true, reason: 'health failed' });
    expect(plan.rollbackTo).toBeUndefined();
    expect(plan.steps.find((s) => s.id === 'activate')!.params).toEqual({ version: '1.0.0', mode: 'rollback' });
    expect(plan.steps.find((s) => s.id === 'health')!.params).toEqual({ version: '1.0.0' });
    expect(plan.steps[0]!.params).toEqual({ from: '1.1.0', to: '1.0.0' });
    expect(calls.sort()).toEqual(['activate 1.0.0', 'prepare 1.0.0 sha256:100']);
    expect(plan.notes).toContain('reason: health failed');
    expect(plan.notes[0]).toBe('1.0.0 is the last known good release, chosen by recorded outcome and sequence: reached good as #3, CI passed');
  });

  it('has no health step without a health check, and handles a missing current release', () => {
    const plan = planRollback({ env: 'production', config: noHealthConfig(), target: fakeTarget().target, from: null, to: good, reason: 'manual', automatic: false, chosenBy: 'request' });
    expect(ids(plan)).toEqual(['rollback-start', 'prepare', 'activate', 'rollback-complete']);
    expect(plan.from).toBeNull();
    expect(plan.steps[0]!.title).toBe('rollback_start none → 1.0.0');
    expect(plan.notes[0]).toMatch(/^1\.0\.0 is the requested target/);
  });

  it('says whether the target is booted again or still warm', () => {
    const cold = planRollback({ env: 'production', config: envConfig(), target: fakeTarget({ zeroDowntimeReload: false }).target, from: failing, to: good, reason: 'r', automatic: true });
    expect(cold.notes.at(-1)).toBe('1.0.0 is booted again (restart)');
    const warm = planRollback({ env: 'production', config: envConfig(), target: fakeTarget({ keepsPreviousWarm: true }).target, from: failing, to: good, reason: 'r', automatic: true });
    expect(warm.notes.at(-1)).toBe('1.0.0 is still warm: the rollback is a traffic switch');
  });

  it('ends with flags-off and the post-rollback watch, after rollback-complete, when configured or asked for', () => {
    const watch = { windowMs: 60_000, intervalMs: 5_000, afterRollbackMs: 1_800_000, source: { type: 'http-probe', url: 'http://127.0.0.1:3000/' } };
    const config = envConfig({ watch });
    const flags = { flags: ['new-checkout'], source: 'flag file /srv/flags.json' };
    const plan = planRollback({ env: 'production', config, target: fakeTarget().target, from: failing, to: good, reason: 'r', automatic: true, flags });
    expect(phases(plan).slice(-3)).toEqual(['rollback-complete:finalize', 'flags-off:finalize', 'post-rollback-watch:verify']);
    expect(plan.steps.at(-1)).toMatchObject({ kind: 'watch', params: { version: '1.0.0', windowMs: 1_800_000, afterRollback: true } });
    expect(plan.steps.at(-2)).toMatchObject({ kind: 'flags-off', params: { version: '1.1.0', flags: ['new-checkout'] } });
    expect(plan.notes).toContain('after the rollback 1.0.0 is watched for 1800 s; service counts as restored only if it passes');
    // --watch 2s overrides the length; --watch off (null) drops it; without watch: no step whatever is asked.
    expect(planRollback({ env: 'production', config, target: fakeTarget().target, from: failing, to: good, reason: 'r', automatic: false, watchMs: 2000 }).steps.at(-1)!.params.windowMs).toBe(2000);
    expect(ids(planRollback({ env: 'production', config, target: fakeTarget().target, from: failing, to: good, reason: 'r', automatic: false, watchMs: null }))).not.toContain('post-rollback-watch');
    expect(ids(planRollback({ env: 'production', config: envConfig(), target: fakeTarget().target, from: failing, to: good, reason: 'r', automatic: false, watchMs: 2000 }))).not.toContain('post-rollback-watch');
  });

  it('is plain JSON-serialisable data', () => {
    const plan = planRollback({ env: 'production', config: envConfig(), target: fakeTarget().target, from: failing, to: good, reason: 'r', automatic: false });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});
