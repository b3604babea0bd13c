import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../../ledger/open-ledger.js';
import type { RewindEvent } from '../../ports/event-sink.js';
import type { Ledger, OperationRecord } from '../../ports/ledger.js';
import { succeeded } from '../../ports/outcome.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanStep, type StepKind } from '../plan.js';
import { runPlan } from './runner.js';
import type { Interruption, InterruptibleOperation } from '../services.js';
import type { StepContext } from '../steps/step-context.js';

// A plan is stored with its operation and read back by `rewind resume`: its step kinds are data
// from the ledger, and `executors[kind]` must not find Object.prototype.constructor for one.
describe('runPlan with step kinds from a stored plan', () => {
  let dir: string;
  let ledger: Ledger;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-runner-'));
    ledger = await openLedger(join(dir, 'rewind.db'));
  });
  afterAll(async () => {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  });

  const step = (id: string, kind: string): PlanStep => ({ id, kind: kind as StepKind, phase: 'preflight', title: id, params: {}, commands: [], effects: [] });

  async function run(kind: string) {
    const operation: OperationRecord = {
      id: `op_${kind}`,
      env: 'staging',
      kind: 'deploy',
      fromVersion: null,
      toVersion: '1.0.0',
      state: 'running',
      plan: {},
      actor: 'tester',
      parentId: null,
      reason: null,
      error: null,
      startedAt: 1,
      finishedAt: null,
    };
    await ledger.createOperation(operation);
    const plan: Plan = { version: PLAN_FORMAT_VERSION, kind: 'deploy', env: 'staging', from: null, to: '1.0.0', notes: [], steps: [step('first', 'disk-space'), step('odd', kind)] };
    const events: RewindEvent[] = [];
    const called: string[] = [];
    const executors = { 'disk-space': async (s: PlanStep) => (called.push(s.id), succeeded('ok')) };
    const context = { env: 'staging', ledger, operation, now: () => 2, services: {} } as unknown as StepContext;
    const result = await runPlan(plan, context, { emit: async (event) => void events.push(event) }, executors);
    return { result, called, steps: await ledger.listSteps(operation.id) };
  }

  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])('a step of kind %s has no executor: an error outcome, journaled', async (kind) => {
    const { result, called, steps } = await run(kind);
    expect(called).toEqual(['first']);
    expect(result).toMatchObject({ ok: false, changed: false, failedStep: { id: 'odd' }, outcome: { status: 'error', message: `no executor for step kind ${kind}` } });
    expect(steps.map((s) => [s.stepId, s.kind, s.state])).toEqual([
      ['first', 'disk-space', 'succeeded'],
      ['odd', kind, 'error'],
    ]);
  });
});

// Ctrl-C and SIGTERM: the CLI's signal watcher asks, the runner stops between two steps and tells the
// watcher which step the journal records as running (what a second signal would cut short).
describe('runPlan and a signal', () => {
  let dir: string;
  let ledger: Ledger;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-runner-signal-'));
    ledger = await openLedger(join(dir, 'rewind.db'));
  });
  afterAll(async () => {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a signal during a step lets it finish, stops before the next, and the watcher knew each step in flight', async () => {
    const operation: OperationRecord = { id: 'op_signal', env: 'staging', kind: 'deploy', fromVersion: '1.0.0', toVersion: '1.1.0', state: 'running', plan: {}, actor: 'tester', parentId: null, reason: null, error: null, startedAt: 1, finishedAt: null };
    await ledger.createOperation(operation);
    const step = (id: string): PlanStep => ({ id, kind: 'disk-space', phase: 'change', title: id, params: {}, commands: [], effects: [] });
    const plan: Plan = { version: PLAN_FORMAT_VERSION, kind: 'deploy', env: 'staging', from: '1.0.0', to: '1.1.0', notes: [], steps: [step('one'), step('two'), step('three')] };
    const seen: string[] = [];
    let requested = false;
    let armed = 0;
    const interruption: Interruption = {
      requested: () => requested,
      arm: (running: InterruptibleOperation) => void (armed++, seen.push(`arm ${running.kind} ${running.from} → ${running.to} on ${running.env} (${running.operationId})`)),
      disarm: () => void (armed--, seen.push('disarm')),
      inFlight: (id) => void seen.push(`in flight: ${id}`),
      signal: null,
    };
    // The signal comes while step two runs: two finishes (journaled), three never starts.
    const executors = {
      'disk-space': async (s: PlanStep) => {
        seen.push(`run ${s.id}`);
        if (s.id === 'two') requested = true;
        return succeeded('ok');
      },
    };
    const context = { env: 'staging', ledger, operation, now: () => 2, services: { interruption } } as unknown as StepContext;
    const result = await runPlan(plan, context, { emit: async () => undefined }, executors);
    expect(result).toMatchObject({ ok: false, changed: true, interrupted: { after: { id: 'two' }, next: { id: 'three' } } });
    expect(result.failedStep).toBeUndefined();
    expect(seen).toEqual(['arm deploy 1.0.0 → 1.1.0 on staging (op_signal)', 'in flight: one', 'run one', 'in flight: null', 'in flight: two', 'run two', 'in flight: null', 'disarm']);
    expect(armed).toBe(0);
    expect((await ledger.listSteps(operation.id)).map((s) => [s.stepId, s.state])).toEqual([
      ['one', 'succeeded'],
      ['two', 'succeeded'],
    ]);
  });
});
