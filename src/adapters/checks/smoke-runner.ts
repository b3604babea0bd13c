import { randomBytes } from 'node:crypto';
import type { SmokeStep, SmokeSuite } from '../../config/parts/smoke-schema.js';
import { failed, succeeded, type Outcome } from '../../ports/outcome.js';
import { noProgress, type ProgressReporter } from '../../ports/step-progress.js';
import { pickJsonPath as pick } from '../../util/json-path.js';

/** One step's result, journaled with the smoke step and printed by `rewind smoke`. */
export interface SmokeStepResult {
  name: string;
  phase: 'step' | 'cleanup';
  status: 'passed' | 'failed' | 'skipped';
  httpStatus?: number;
  ms: number;
  reason?: string;
}

const VARIABLE = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

class MissingVariable extends Error {
  constructor(readonly variable: string) {
    super(`{{${variable}}} is not set (no variable or capture of that name)`);
  }
}

/** Suite variables and captures by name. A Map: `{{constructor}}` must be missing, not Object's source text. */
type Variables = Map<string, string>;

function fill(text: string, vars: Variables): string {
  return text.replace(VARIABLE, (_, name: string) => {
    const value = vars.get(name);
    if (value === undefined) throw new MissingVariable(name);
    return value;
  });
}

function fillDeep(value: unknown, vars: Variables): unknown {
  if (typeof value === 'string') return fill(value, vars);
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDeep(v, vars)]));
  return value;
}

async function runStep(step: SmokeStep, vars: Variables, baseUrl: string | undefined, defaultTimeoutMs: number, phase: SmokeStepResult['phase']): Promise<SmokeStepResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let url: string;
  let headers: Record<string, string>;
  let body: string | undefined;
  try {
    url = fill(step.request.url, vars);
    headers = fillDeep(step.request.headers, vars) as Record<string, string>;
    if (step.request.json !== undefined) {
      body = JSON.stringify(fillDeep(step.request.json, vars));
      headers = { 'content-type': 'application/json', ...headers };
    } else if (step.request.body !== undefined) body = fill(step.request.body, vars);
  } catch (error) {
    // A cleanup step that needs a capture the failed steps never made has nothing to clean up.
    if (error instanceof MissingVariable) return { name: step.name, phase, status: phase === 'cleanup' ? 'skipped' : 'failed', ms: ms(), reason: error.message };
    throw error;
  }
  const target = /^https?:\/\//.test(url) ? url : baseUrl ? new URL(url, baseUrl).toString() : url;
  let response: Response;
  let text: string;
  try {
    response = await fetch(target, { method: step.request.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(step.timeoutMs ?? defaultTimeoutMs) });
    text = step.request.method === 'HEAD' ? '' : await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const reason = (error as Error).name === 'TimeoutError' ? `timed out after ${step.timeoutMs ?? defaultTimeoutMs} ms` : (cause ?? (error as Error).message);
    return { name: step.name, phase, status: 'failed', ms: ms(), reason: `${step.request.method} ${target}: ${reason}` };
  }
  const fail = (reason: string): SmokeStepResult => ({ name: step.name, phase, status: 'failed', httpStatus: response.status, ms: ms(), reason });
  const expected = Array.isArray(step.expect.status) ? step.expect.status : [step.expect.status];
  if (!expected.includes(response.status)) return fail(`status ${response.status}, expected ${expected.join('|')}`);
  const needsJson = step.expect.json || step.expect.exists || step.capture;
  let parsed: unknown;
  if (needsJson) {
    try {
      parsed = JSON.parse(text);
    } catch {
      return fail('body is not JSON');
    }
  }
  try {
    for (const [path, want] of Object.entries(step.expect.json ?? {})) {
      const wanted = typeof want === 'string' ? fill(want, vars) : want;
      const actual = pick(parsed, path);
      // Captured ids come back as numbers while variables are strings: compare by text then.
      if (actual !== wanted && !(typeof wanted === 'string' && typeof actual === 'number' && String(actual) === wanted)) {
        return fail(`${path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(wanted)}`);
      }
    }
  } catch (error) {
    if (error instanceof MissingVariable) return fail(error.message);
    throw error;
  }
  for (const path of step.expect.exists ?? []) {
    const actual = pick(parsed, path);
    if (actual === undefined || actual === null) return fail(`${path} is missing from the response`);
  }
  for (const [name, path] of Object.entries(step.capture ?? {})) {
    const actual = pick(parsed, path);
    if (actual === undefined || actual === null || typeof actual === 'object') return fail(`capture ${name}: ${path} is ${JSON.stringify(actual)}, not a value`);
    vars.set(name, String(actual));
  }
  return { name: step.name, phase, status: 'passed', httpStatus: response.status, ms: ms() };
}

/**
 * Runs a suite in order; the first failing step stops the steps, and every cleanup step runs
 * whatever happened (a cleanup failure fails the suite too, since it leaves test data behind).
 * Returns an outcome value with every step's result; never throws for a failing app. Each request
 * is announced to `progress` as it starts ("2/5 create a project"), so a slow one is named.
 */
export async function runSmokeSuite(suite: SmokeSuite, options: { version: string; baseUrl?: string; timeoutMs: number; progress?: ProgressReporter }): Promise<Outcome> {
  const progress = options.progress ?? noProgress;
  const total = suite.steps.length + suite.cleanup.length;
  const started = performance.now();
  const vars: Variables = new Map([
    ['version', options.version],
    ['run_id', `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`],
  ]);
  for (const [name, value] of Object.entries(suite.variables)) vars.set(name, fill(value, vars));
  const baseUrl = options.baseUrl ?? suite.baseUrl;
  const results: SmokeStepResult[] = [];
  let failure: SmokeStepResult | undefined;
  for (const step of suite.steps) {
    if (failure) {
      results.push({ name: step.name, phase: 'step', status: 'skipped', ms: 0, reason: `after ${failure.name} failed` });
      continue;
    }
    await progress({ message: `${results.length + 1}/${total} ${step.name}`, current: results.length + 1, total });
    const result = await runStep(step, vars, baseUrl, options.timeoutMs, 'step');
    results.push(result);
    if (result.status === 'failed') failure = result;
  }
  for (const step of suite.cleanup) {
    await progress({ message: `${results.length + 1}/${total} ${step.name} (cleanup)`, current: results.length + 1, total });
    const result = await runStep(step, vars, baseUrl, options.timeoutMs, 'cleanup');
    results.push(result);
    if (result.status === 'failed') failure ??= result;
  }
  const detail = { suite: suite.name, steps: results, ms: Math.round(performance.now() - started) };
  const passed = results.filter((r) => r.status === 'passed').length;
  if (failure) return failed(`smoke suite ${suite.name}: ${failure.phase === 'cleanup' ? 'cleanup ' : ''}${failure.name} failed: ${failure.reason} (${passed}/${results.length} passed)`, detail);
  return succeeded(`smoke suite ${suite.name}: ${passed}/${results.length} steps passed`, detail);
}

