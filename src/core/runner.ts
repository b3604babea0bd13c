import type { EventSink } from '../ports/event-sink.js';
import { redactor } from '../util/redact.js';
import type { StepState } from '../ports/ledger.js';
import { errored, type Outcome } from '../ports/outcome.js';
import type { Plan, PlanStep } from './plan.js';
import type { StepContext, StepExecutor } from './steps/step-context.js';
import { STEP_EXECUTORS } from './steps/step-registry.js';

export interface RunResult {
  ok: boolean;
  /** True once any step beyond preflight has started, in this run or one before a crash. */
  changed: boolean;
  failedStep?: PlanStep;
  outcome?: Outcome;
  durationMs: number;
}

/**
 * Applies a plan. Every step is journaled before it starts and after it ends, so a crash leaves the
 * ledger saying exactly which step was in flight; on resume, steps the journal records as succeeded
 * are skipped and the interrupted one runs again (steps are idempotent).
 */
export async function runPlan(plan: Plan, context: StepContext, sink: EventSink, executors: Record<string, StepExecutor> = STEP_EXECUTORS): Promise<RunResult> {
  const started = performance.now();
  const { ledger, operation, env } = context;
  const journal = new Map((await ledger.listSteps(operation.id)).map((s) => [s.index, s]));
  let changed = [...journal.values()].some((s) => plan.steps[s.index]?.phase !== 'preflight');
  const base = { env, operationId: operation.id, from: plan.from, to: plan.to };

  for (const [index, step] of plan.steps.entries()) {
    const previous = journal.get(index);
    if (previous?.state === 'succeeded') continue;
    if (step.phase !== 'preflight') changed = true;

    const record = await ledger.startStep({ operationId: operation.id, index, stepId: step.id, kind: step.kind, detail: {}, startedAt: context.now() });
    await sink.emit({ event: 'step_start', ...base, step: step.id, title: step.title, attempt: record.attempt });
    const stepStarted = performance.now();
    let outcome: Outcome;
    try {
      const executor = executors[step.kind];
      outcome = executor ? await executor(step, context) : errored(`no executor for step kind ${step.kind}`);
    } catch (error) {
      outcome = errored(`${step.id} threw: ${(error as Error).message}`);
    }
    const durationMs = Math.round(performance.now() - stepStarted);
    const state: StepState = outcome.status;
    // A second net: a message may quote a tool's output, and the journal is a ledger row like any other.
    await ledger.finishStep(operation.id, index, state, { message: redactor.redact(outcome.message), code: outcome.code, durationMs, ...outcome.detail }, context.now());
    await sink.emit({ event: 'step_complete', ...base, step: step.id, title: step.title, status: outcome.status, durationMs, message: outcome.message });
    if (outcome.status !== 'succeeded') return { ok: false, changed, failedStep: step, outcome, durationMs: Math.round(performance.now() - started) };
  }
  return { ok: true, changed, durationMs: Math.round(performance.now() - started) };
}
