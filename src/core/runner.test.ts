import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../ledger/open-ledger.js';
import type { RewindEvent } from '../ports/event-sink.js';
import type { Ledger, OperationRecord } from '../ports/ledger.js';
import { succeeded } from '../ports/outcome.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanStep, type StepKind } from './plan.js';
import { runPlan } from './runner.js';
import type { StepContext } from './steps/step-context.js';

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
