import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Plan } from '../../src/core/plan.js';
import { ENV, type CliResult, type Sandbox } from './sandbox.js';
import type { SlottedSandbox } from './slotted-sandbox.js';

/**
 * The crash matrix (issue "Never wedged", item 1): for every step of a plan, SIGKILL rewind right
 * after the journal says the step runs (`begin`), right after the step did its work but before the
 * journal says so (`end`), and for the long steps half-way through (`after=<ms>`), then run
 * `rewind resume` and require that it converges. The kills are the real thing: rewind SIGKILLs
 * itself at the named point (src/core/failpoints.ts), as an OOM kill or a lost runner would.
 */

/**
 * The sample app's environment in the crash matrices. Its graceful stop keeps answering for
 * DRAIN_MS (300 ms by default) so that keep-alive clients of a zero-downtime reload are not reset;
 * that is not what a crash matrix looks at (it only asks what serves once resume has finished), and
 * every reload and stop of every point paid it: 50 ms keeps the drain, at a sixth of the cost.
 */
export const MATRIX_APP_ENV = { DRAIN_MS: '50' };

/** The plan a command would run, from its own --dry-run --json. */
export async function planOf(sandbox: Sandbox, args: string[]): Promise<Plan> {
  const result = await sandbox.cli([...args, '--dry-run', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { plan: Plan }).plan;
}

/**
 * Every kill point of a plan: `begin` and `end` of every step, the middle of each step that took
 * at least `longMs` when it last ran (its journaled duration), and the operation's own points.
 */
export function crashPoints(plan: Plan, durations: Record<string, number> = {}, longMs = 150): string[] {
  const points = [`${plan.kind}:operation:created`];
  for (const step of plan.steps) {
    points.push(`${plan.kind}:${step.id}:begin`);
    const took = durations[step.id] ?? 0;
    if (took >= longMs) points.push(`${plan.kind}:${step.id}:after=${Math.round(took / 2)}`);
    points.push(`${plan.kind}:${step.id}:end`);
  }
  points.push(`${plan.kind}:operation:ran`);
  return points;
}

/** Journaled durations of the steps of an operation, by step id. */
export async function stepDurations(sandbox: Sandbox, operationId: string): Promise<Record<string, number>> {
  const steps = await sandbox.ledger.listSteps(operationId);
  return Object.fromEntries(steps.map((s) => [s.stepId, Number((s.detail as { durationMs?: number }).durationMs ?? 0)]));
}

/** A private TMPDIR for the CLI processes, so that what a killed restore leaves there can be seen. */
export async function privateTmp(sandbox: Sandbox): Promise<string> {
  const dir = join(sandbox.root, 'tmp');
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Runs the command with `point` armed; it must die there. Then `rewind resume`, which must end well.
 * A middle point (`after=<ms>`) is a time: a step can end sooner than it did when it was measured,
 * and then the command simply completes (with `completedCode`: 7 for a deploy that rolls back by
 * itself). That returns null (the caller sets up again and retries with `halve(point)`); any other
 * point must kill.
 */
export async function crashThenResume(sandbox: Sandbox, args: string[], point: string, tmp: string, extraEnv: NodeJS.ProcessEnv = {}, completedCode = 0): Promise<{ killed: CliResult; resumed: CliResult } | null> {
  const env = { ...extraEnv, TMPDIR: tmp };
  const killed = await sandbox.cli(args, { env: { ...env, REWIND_FAILPOINTS: point }, timeoutMs: 120_000 });
  if (killed.signal !== 'SIGKILL' && point.includes(':after=') && killed.code === completedCode) {
    expect(await sandbox.ledger.findRunningOperations(ENV), point).toEqual([]);
    return null;
  }
  expect(killed.signal, `${point}: the command was not killed there (exit ${killed.code}): ${killed.stderr}`).toBe('SIGKILL');
  const resumed = await sandbox.cli(['resume', ENV, '--json'], { env, timeoutMs: 120_000 });
  return { killed, resumed };
}

/**
 * Runs `attempt` at `point` until the kill lands: a middle point whose step ended first is tried
 * again at half the delay (down to the first millisecond of the step).
 */
export async function atPoint(point: string, attempt: (point: string) => Promise<boolean>): Promise<void> {
  let current = point;
  for (;;) {
    if (await attempt(current)) return;
    const match = /^(.*:after=)(\d+)$/.exec(current);
    const ms = Number(match?.[2]);
    if (!match || ms <= 1) throw new Error(`${point}: the step always ended before the kill`);
    current = `${match[1]}${Math.floor(ms / 2)}`;
  }
}

type StatusRun = { code: number | null; stdout: string; stderr: string };
type StatusReader = Pick<Sandbox, 'cli' | 'configPath'>;
let statusRunner: (sandbox: StatusReader) => Promise<StatusRun> = (sandbox) => sandbox.cli(['status', ENV, '--json']);

/**
 * How the convergence checks read `rewind status <env> --json`: a CLI process by default. The crash
 * matrices swap in test/in-process-status.ts (the same command code, run in the test's process,
 * without a Node start-up per kill point); support code may not import the CLI itself.
 */
export function readStatusWith(runner: (sandbox: StatusReader) => Promise<StatusRun>): void {
  statusRunner = runner;
}

const statusOf = (sandbox: StatusReader): Promise<StatusRun> => statusRunner(sandbox);

interface StatusJson {
  current: { version: string; state: string } | null;
  lastKnownGood: { version: string } | null;
  target: { link: string | null; served: { version: string | null; processes: number }[] | null };
  agreement: { agree: boolean; problems: string[] };
  unfinished: unknown[];
  lock: unknown;
  slots?: { name: string; version: string | null; online: boolean; trafficPercent: number | null; error?: string }[];
}

/**
 * What "converged" means: nothing unfinished, no lock, ledger, link and every serving process name
 * `version`, which answers its health check; the release is in `state`; no temp directory of a
 * killed rewind is left in `tmp`.
 */
export async function expectConverged(sandbox: Sandbox, point: string, version: string, options: { state?: string; tmp?: string } = {}): Promise<StatusJson> {
  const status = await statusOf(sandbox);
  expect(status.code, `${point}: ${status.stderr}`).toBe(0);
  const parsed = JSON.parse(status.stdout) as StatusJson;
  expect(parsed.agreement, point).toMatchObject({ agree: true, problems: [] });
  expect(parsed.unfinished, point).toEqual([]);
  expect(parsed.lock, point).toBeNull();
  expect(parsed.current?.version, point).toBe(version);
  expect(parsed.current?.state, point).toBe(options.state ?? 'good');
  expect(parsed.target.served?.map((s) => s.version), point).toEqual([version]);
  expect(await sandbox.served(), point).toEqual({ status: 200, version });
  expect(await sandbox.ledger.findRunningOperations(ENV), point).toEqual([]);
  if (options.tmp && existsSync(options.tmp)) expect(readdirSync(options.tmp).filter((n) => n.startsWith('rewind-restore-')), point).toEqual([]);
  return parsed;
}

/**
 * "Converged" for blue-green and canary environments, where two slots legitimately serve (status
 * reports no served processes): nothing unfinished, no lock, ledger and the `current` link name
 * `version` in `state`; the router sends 100 % to the running slot that holds it and 0 % to the other
 * (never a split left behind), as status reads it from the router; every request through the router
 * is answered by `version`; no temp file of a killed switch is left beside the router's files.
 */
export async function expectSlottedConverged(box: SlottedSandbox, point: string, version: string, options: { state?: string } = {}): Promise<StatusJson> {
  const status = await statusOf(box);
  expect(status.code, `${point}: ${status.stderr}`).toBe(0);
  const parsed = JSON.parse(status.stdout) as StatusJson;
  expect(parsed.agreement, point).toMatchObject({ agree: true, problems: [] });
  expect(parsed.unfinished, point).toEqual([]);
  expect(parsed.lock, point).toBeNull();
  expect(parsed.current?.version, point).toBe(version);
  expect(parsed.current?.state, point).toBe(options.state ?? 'good');
  expect(parsed.target.link, point).toBe(version);
  const slots = parsed.slots ?? [];
  const holding = slots.filter((s) => s.version === version);
  expect(holding.map((s) => ({ online: s.online, trafficPercent: s.trafficPercent })), `${point}: ${JSON.stringify(slots)}`).toEqual([{ online: true, trafficPercent: 100 }]);
  expect(slots.filter((s) => s.version !== version).map((s) => s.trafficPercent), `${point}: ${JSON.stringify(slots)}`).toEqual([0]);
  // What the router really does, not only what it reports (nginx's file could say one thing and its workers serve another).
  const answers: Record<string, number> = {};
  for (let i = 0; i < 10; i++) {
    const served = await box.served();
    const key = `${served.status} ${served.version ?? '-'}`;
    answers[key] = (answers[key] ?? 0) + 1;
  }
  expect(answers, point).toEqual({ [`200 ${version}`]: 10 });
  expect(await box.ledger.findRunningOperations(ENV), point).toEqual([]);
  const proxyDir = join(box.root, 'proxy');
  expect(readdirSync(proxyDir).filter((n) => n.includes('.rewind-') && n.endsWith('.tmp')), point).toEqual([]);
  return parsed;
}
