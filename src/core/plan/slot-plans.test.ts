import { describe, expect, it } from 'vitest';
import { environmentSchema } from '../../config/config-schema.js';
import type { ReleaseRecord } from '../../ports/ledger.js';
import type { SlotState } from '../../ports/target.js';
import { planDeploy } from './deploy-plan.js';
import { planRollback } from './rollback-plan.js';
import type { TargetDescriber } from './target-describer.js';
import { idleSlot, urlOnSlot, weightsForSlot } from '../traffic/slot-choice.js';

const target: TargetDescriber = {
  type: 'releases',
  capabilities: { atomicSwitch: true, keepsPreviousWarm: true, trafficSplit: true, nativeRollback: false, zeroDowntimeReload: true },
  describePrepare: (r) => ({ summary: `unpack ${r.version}`, commands: [], effects: [] }),
  describeActivate: (v) => ({ summary: `activate ${v}`, commands: [], effects: [] }),
  describeStartOnSlot: (slot, v) => ({ summary: `run ${v} on ${slot}`, commands: [], effects: [`pm2 API: start app-${slot}`] }),
};

const base = {
  target: { type: 'releases', path: '/srv/app', runtime: { type: 'pm2', name: 'app' }, slots: { blue: { port: 3001 }, green: { port: 3002 } } },
  health: { url: 'http://127.0.0.1:8080/health' },
};
const blueGreen = environmentSchema.parse({ ...base, traffic: { strategy: 'blue-green', router: { type: 'haproxy', socket: '/run/haproxy.sock', backend: 'app' } } });
const canary = environmentSchema.parse({
  ...base,
  traffic: { strategy: 'canary', router: { type: 'nginx', upstreamFile: '/etc/nginx/rewind.conf' }, canary: { steps: [5, 25, 60], measurements: 4 } },
  watch: { windowMs: 60_000, intervalMs: 5_000, source: { type: 'http-probe', url: 'http://127.0.0.1:8080/' } },
});

const release = (version: string, overrides: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  env: 'production', version, seq: 1, artifact: `/a/${version}`, digest: `sha256:${version}`, commit: null, ci: 'passed', state: 'good', goodSeq: 1, createdAt: 1, updatedAt: 1, ...overrides,
});
const slot = (name: string, port: number, version: string | null, online = true): SlotState => ({ name, host: '127.0.0.1', port, version, online });

describe('slot choice', () => {
  it('puts a new release on the slot that does not serve the running one (the first slot on a first deploy)', () => {
    const slots = [slot('blue', 3001, '1.0.0'), slot('green', 3002, '1.1.0')];
    expect(idleSlot(slots, '1.1.0').name).toBe('blue');
    expect(idleSlot(slots, '1.0.0').name).toBe('green');
    expect(idleSlot([slot('blue', 3001, null, false), slot('green', 3002, null, false)], null).name).toBe('blue');
  });

  it('turns "p % to a slot" into the router weights of its fixed backends', () => {
    const slots = [slot('blue', 3001, null), slot('green', 3002, null)];
    expect(weightsForSlot(slots, 'green', 10)).toEqual({ stable: 90, canary: 10 });
    expect(weightsForSlot(slots, 'blue', 100)).toEqual({ stable: 100, canary: 0 });
    expect(() => weightsForSlot(slots, 'red', 5)).toThrow(/unknown slot/);
  });

  it('sends a health URL to a slot directly, path and query kept', () => {
    expect(urlOnSlot('https://app.example.com/health?deep=1', { host: '10.0.0.5', port: 3002 })).toBe('https://10.0.0.5:3002/health?deep=1');
    expect(urlOnSlot('http://127.0.0.1:8080/h', { host: '::1', port: 3001 })).toBe('http://[::1]:3001/h');
  });
});

describe('blue-green and canary plans', () => {
  it('blue-green: boots and probes on the idle slot before anything serves it, then switches all traffic', () => {
    const plan = planDeploy({ env: 'production', config: blueGreen, target, release: release('1.2.0', { state: 'registered', goodSeq: null }), current: release('1.1.0'), lkg: release('1.1.0'), slots: [slot('blue', 3001, '1.0.0'), slot('green', 3002, '1.1.0')] });
    expect(plan.steps.map((s) => `${s.id}:${s.phase}`)).toEqual(['record-running:preflight', 'disk-space:preflight', 'baseline-health:preflight', 'prepare:preflight', 'start-slot:preflight', 'slot-health:preflight', 'switch-traffic:change', 'health:verify', 'mark-good:finalize', 'prune:finalize']);
    expect(plan.steps.find((s) => s.id === 'start-slot')?.params).toEqual({ version: '1.2.0', slot: { name: 'blue', host: '127.0.0.1', port: 3001 } });
    expect(plan.steps.find((s) => s.id === 'slot-health')?.effects[0]).toContain('http://127.0.0.1:3001/health');
    expect(plan.steps.find((s) => s.id === 'switch-traffic')?.params).toMatchObject({ percent: 100, mode: 'deploy' });
    expect(plan.notes.join('\n')).toContain('1.1.0 stays warm on slot green: rolling back is a traffic switch');
  });

  it('canary: each configured step then its analysis, then 100 %; a first deploy moves at once', () => {
    const plan = planDeploy({ env: 'production', config: canary, target, release: release('2.0.0', { state: 'registered', goodSeq: null }), current: release('1.1.0'), lkg: release('1.1.0'), slots: [slot('blue', 3001, '1.1.0'), slot('green', 3002, null, false)] });
    const traffic = plan.steps.filter((s) => ['shift-traffic', 'canary-analysis'].includes(s.kind)).map((s) => s.id);
    expect(traffic).toEqual(['shift-5', 'canary-5', 'shift-25', 'canary-25', 'shift-60', 'canary-60', 'shift-100']);
    expect(plan.steps.find((s) => s.id === 'canary-25')?.params).toMatchObject({ percent: 25, measurements: 4, slot: { name: 'green' }, stable: { name: 'blue', version: '1.1.0' } });
    expect(plan.steps.at(-3)?.id).toBe('watch');
    const first = planDeploy({ env: 'production', config: canary, target, release: release('1.0.0'), current: null, lkg: null, slots: [slot('blue', 3001, null, false), slot('green', 3002, null, false)] });
    expect(first.steps.filter((s) => s.kind === 'shift-traffic').map((s) => s.id)).toEqual(['switch-traffic']);
    expect(first.notes.join('\n')).toContain('traffic moves at once');
  });

  it('rollback to a warm release is only a traffic switch; one on no slot is unpacked, booted, probed, then switched', () => {
    const from = release('1.2.0', { state: 'live' });
    const warm = planRollback({ env: 'production', config: blueGreen, target, from, to: release('1.1.0'), reason: 'test', automatic: true, slots: [slot('blue', 3001, '1.2.0'), slot('green', 3002, '1.1.0')] });
    expect(warm.steps.map((s) => s.id)).toEqual(['rollback-start', 'switch-traffic', 'health', 'rollback-complete']);
    expect(warm.steps[1]?.params).toMatchObject({ version: '1.1.0', slot: { name: 'green' }, percent: 100, mode: 'rollback' });
    const cold = planRollback({ env: 'production', config: blueGreen, target, from, to: release('1.0.0'), reason: 'test', automatic: false, slots: [slot('blue', 3001, '1.2.0'), slot('green', 3002, '1.1.0')] });
    expect(cold.steps.map((s) => s.id)).toEqual(['rollback-start', 'prepare', 'start-slot', 'slot-health', 'switch-traffic', 'health', 'rollback-complete']);
    // Never onto the slot that serves the release being rolled back from.
    expect(cold.steps[2]?.params).toMatchObject({ slot: { name: 'green' } });
    const stopped = planRollback({ env: 'production', config: blueGreen, target, from, to: release('1.1.0'), reason: 'test', automatic: true, slots: [slot('blue', 3001, '1.2.0'), slot('green', 3002, '1.1.0', false)] });
    expect(stopped.steps.map((s) => s.id)).toContain('start-slot');
  });
});

describe('traffic config', () => {
  const parse = (value: unknown) => environmentSchema.safeParse(value);
  it('refuses traffic without slots, slots without traffic or without PM2, a canary without a watch, and falling steps', () => {
    const messages = (value: unknown) => (parse(value).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    const router = { type: 'haproxy', socket: '/s', backend: 'app' };
    expect(messages({ target: { type: 'releases', path: '/p', runtime: { type: 'pm2', name: 'a' } }, traffic: { strategy: 'blue-green', router } })).toContain('traffic: traffic needs target.slots: the two warm slots the router moves traffic between');
    expect(messages({ target: base.target })).toContain('target.slots: target.slots needs traffic: a router to move traffic between the slots');
    expect(messages({ ...base, traffic: { strategy: 'canary', router } })).toContain('traffic.strategy: a canary needs watch: its source measures the canary against stable between steps');
    expect(messages({ ...base, traffic: { strategy: 'canary', router, canary: { steps: [50, 10] } } }).join('\n')).toContain('steps must rise');
    expect(messages({ ...base, target: { ...base.target, slots: { blue: { port: 3001 }, green: { port: 3001 } } }, traffic: { strategy: 'blue-green', router } })).toContain('target.slots.green.port: blue and green need different ports');
    expect(
      messages({ ...base, target: { ...base.target, runtime: { type: 'command', start: ['a'], reload: ['b'] } }, traffic: { strategy: 'blue-green', router } }),
    ).toContain('target.slots: slots run under runtime type pm2 (one PM2 app per slot)');
    expect(parse({ ...base, traffic: { strategy: 'blue-green', router } }).success).toBe(true);
  });
});
