import { RewindError } from '../../errors/rewind-error.js';
import type { EventSink } from '../../ports/event-sink.js';
import type { ProgressReporter } from '../../ports/step-progress.js';
import { redactor } from '../../util/redact.js';
import type { StepState } from '../../ports/ledger.js';
import { errored, type Outcome } from '../../ports/outcome.js';
import type { Plan, PlanStep } from '../plan.js';
import type { StepContext, StepExecutor } from '../steps/step-context.js';
import { STEP_EXECUTORS } from '../steps/step-registry.js';
import { failpoint, failpointAfter } from '../failpoints.js';

export interface RunResult {
  ok: boolean;
  /** True once any step beyond preflight has started, in this run or one before a crash. */
  changed: boolean;
  failedStep?: PlanStep;
  outcome?: Outcome;
  /** Set when a signal asked the operation to stop: it stopped between two steps, its journal resumable. */
  interrupted?: { after: PlanStep | null; next: PlanStep };
  durationMs: number;
}

/**
 * Applies a plan. Every step is journaled before it starts and after it ends, so a crash leaves the
 * ledger saying exactly which step was in flight; on resume, steps the journal records as succeeded
 * are skipped and the interrupted one runs again (steps are idempotent).
 */
export async function runPlan(plan: Plan, context: StepContext, sink: EventSink, executors: Record<string, StepExecutor> = STEP_EXECUTORS): Promise<RunResult> {
  const interruption = context.services?.interruption;
  interruption?.arm({ env: context.env, operationId: context.operation.id, kind: plan.kind, from: plan.from, to: plan.to });
  try {
    return await runSteps(plan, context, sink, executors);
  } finally {
    interruption?.disarm();
  }
}

async function runSteps(plan: Plan, context: StepContext, sink: EventSink, executors: Record<string, StepExecutor>): Promise<RunResult> {
  const started = performance.now();
  const { ledger, operation, env } = context;
  const journal = new Map((await ledger.listSteps(operation.id)).map((s) => [s.index, s]));
  let changed = [...journal.values()].some((s) => plan.steps[s.index]?.phase !== 'preflight');
  const base = { env, operationId: operation.id, from: plan.from, to: plan.to };

  let last: PlanStep | null = null;
  for (const [index, step] of plan.steps.entries()) {
    const previous = journal.get(index);
    if (previous?.state === 'succeeded') {
      last = step;
      continue;
    }
    // A signal (Ctrl-C, SIGTERM) stops the operation here, between two steps: never in the middle of one.
    if (context.services?.interruption?.requested()) {
      return { ok: false, changed, interrupted: { after: last, next: step }, durationMs: Math.round(performance.now() - started) };
    }
    const changedBefore = changed;
    if (step.phase !== 'preflight') changed = true;

    // A step's own failure is an outcome; what can still throw is the journal or a sink: say which step was in flight.
    const inFlight = (error: unknown): never => {
      if (error instanceof RewindError) error.details.step ??= step.id;
      throw error;
    };
    const record = await ledger.startStep({ operationId: operation.id, index, stepId: step.id, kind: step.kind, detail: {}, startedAt: context.now() }).catch(inFlight);
    // From here until its end is journaled, a second signal (which does not wait) leaves this step running in the journal.
    context.services?.interruption?.inFlight(step.id);
    await sink.emit({ event: 'step_start', ...base, step: step.id, title: step.title, attempt: record.attempt }).catch(inFlight);
    const stepStarted = performance.now();
    const point = `${plan.kind}:${step.id}`;
    failpoint(`${point}:begin`);
    const disarm = failpointAfter(point);
    let outcome: Outcome;
    try {
      // A stored plan is data from the ledger: its kind is looked up as an own property only.
      const executor = Object.hasOwn(executors, step.kind) ? executors[step.kind] : undefined;
      outcome = executor ? await executor(step, { ...context, progress: reporter(sink, { ...base, step: step.id, title: step.title }) }) : errored(`no executor for step kind ${step.kind}`);
    } catch (error) {
      outcome = errored(`${step.id} threw: ${(error as Error).message}`);
    }
    disarm();
    failpoint(`${point}:end`);
    const durationMs = Math.round(performance.now() - stepStarted);
    const state: StepState = outcome.status;
    // A second net: a message may quote a tool's output, and the journal is a ledger row like any other.
    await ledger.finishStep(operation.id, index, state, { message: redactor.redact(outcome.message), code: outcome.code, durationMs, ...outcome.detail }, context.now()).catch(inFlight);
    context.services?.interruption?.inFlight(null);
    await sink.emit({ event: 'step_complete', ...base, step: step.id, title: step.title, status: outcome.status, durationMs, message: outcome.message }).catch(inFlight);
    if (outcome.status !== 'succeeded') {
      // A step that failed without changing anything (refused before acting, or undid itself) leaves the operation where it stood.
      if (outcome.unchanged) changed = changedBefore;
      return { ok: false, changed, failedStep: step, outcome, durationMs: Math.round(performance.now() - started) };
    }
    last = step;
  }
  return { ok: true, changed, durationMs: Math.round(performance.now() - started) };
}

/**
 * A step's progress as `step_progress` events. A progress line is for people watching: a sink that
 * fails to show one (a closed pipe) must not fail the step, so errors are dropped here.
 */
function reporter(sink: EventSink, about: { env: string; operationId: string; from: string | null; to: string; step: string; title: string }): ProgressReporter {
  return async (update) => {
    await sink.emit({ event: 'step_progress', ...about, ...update }).catch(() => undefined);
  };
}
