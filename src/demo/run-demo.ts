import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPm2 } from '../adapters/runtimes/pm2/pm2-loader.js';
import { Pm2Runtime } from '../adapters/runtimes/pm2/pm2-runtime.js';
import { pm2HomeTooLong } from '../adapters/runtimes/pm2/pm2-socket-paths.js';
import { ProcessExecutor } from '../exec/process-executor.js';
import type { AppIo } from '../app/app-io.js';
import { composeServices } from '../app/compose-services.js';
import { openContext } from '../app/open-context.js';
import { deploy } from '../core/operations/deploy.js';
import { registerRelease } from '../core/register-release.js';
import { incidentReportOf } from '../core/incidents/incident-report-of.js';
import type { EventOf } from '../events/event-catalog.js';
import type { EventSink } from '../ports/event-sink.js';
import type { EventRecord } from '../ports/ledger.js';
import { buildSampleArtifact, freePort, sampleConfigYaml } from './sample-artifacts.js';

const ENV = 'demo';

export interface DemoResult {
  ok: boolean;
  servedVersion: string | null;
  events: EventRecord[];
  sandbox: string;
  durationMs: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The self-contained demo: in a temp sandbox with its own SQLite ledger and PM2_HOME, deploy 1.0.0
 * (healthy, becomes good), deploy 1.1.0 (its health check fails), watch rewind roll back to 1.0.0 by
 * itself, check 1.0.0 serves again, print the timeline and the incident report the rollback opened,
 * and stop every process it started.
 */
export interface DemoOptions {
  /** Print the closing line as JSON (and no narration); the event lines come from `view`. */
  json: boolean;
  keep: boolean;
  /**
   * How the caller shows the operations' events on stdout (the CLI: its human view, or JSON lines
   * with --json); made when the operations are about to start.
   */
  view?: () => Promise<EventSink | undefined>;
}

const writeLine = (stream: NodeJS.WritableStream, line: string): void => {
  stream.write(`${line}\n`);
};

export async function runDemo(io: AppIo, options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  // The demo runs under real PM2, an optional peer: without it, say so (coded, with the install
  // command) before a sandbox exists, rather than fail two deploys at their activate step.
  loadPm2();
  // Its PM2_HOME is <sandbox>/pm2, and the sandbox name has a fixed length: check the socket paths
  // PM2 will bind before making it (a deep TMPDIR would otherwise hang PM2's client).
  const tooLong = pm2HomeTooLong(join(tmpdir(), 'rewind-demo-XXXXXX', 'pm2'));
  if (tooLong) throw tooLong;
  const sandbox = await mkdtemp(join(tmpdir(), 'rewind-demo-'));
  const say = (line: string) => {
    if (!options.json) writeLine(io.stdout, line);
  };
  const port = await freePort();
  const configPath = join(sandbox, 'rewind.yaml');
  await writeFile(configPath, sampleConfigYaml({ root: sandbox, env: ENV, port, appName: 'rewind-demo-app' }));
  const context = await openContext({ config: configPath, env: io.env });
  const envConfig = context.config.environments[ENV]!;
  const runtime = new Pm2Runtime((envConfig.target as { runtime: unknown }).runtime as never, new ProcessExecutor());
  let servedVersion: string | null = null;
  let ok = false;
  try {
    const view = await options.view?.();
    const services = await composeServices(context, { sinks: view ? [view] : [], stderr: io.stderr, interruption: io.interruption });
    say(`rewind demo — sandbox ${sandbox}`);
    say(`sample app on http://127.0.0.1:${port}, PM2_HOME ${join(sandbox, 'pm2')}, ledger ${join(sandbox, 'rewind.db')}\n`);
    const good = await buildSampleArtifact(join(sandbox, 'artifacts'), { version: '1.0.0' });
    const broken = await buildSampleArtifact(join(sandbox, 'artifacts'), { version: '1.1.0', fault: { health: 'fail' } });
    await registerRelease(services, ENV, '1.0.0', { artifact: good, commit: 'a1b2c3d4e5f6', ci: 'passed' });
    await registerRelease(services, ENV, '1.1.0', { artifact: broken, commit: 'f6e5d4c3b2a1', ci: 'passed' });
    say('registered 1.0.0 (healthy) and 1.1.0 (its /health answers 500)\n');

    const first = await deploy(services, ENV, '1.0.0');
    say('');
    const second = await deploy(services, ENV, '1.1.0');
    say('');

    const response = await fetch(`http://127.0.0.1:${port}/health`);
    const body = (await response.json()) as { version?: string };
    servedVersion = response.status === 200 ? (body.version ?? null) : null;
    ok = first.ok && !second.ok && second.error?.code === 'REWIND_E_DEPLOY_ROLLED_BACK' && servedVersion === '1.0.0';
    say(ok ? `verified: GET /health → 200, version ${servedVersion} serves again` : `unexpected: /health → ${response.status} ${JSON.stringify(body)}; deploy 1.1.0 → ${second.error?.code ?? 'ok'}`);
  } finally {
    await runtime.destroy().catch(() => undefined);
  }
  const events = await context.ledger.listEvents(ENV, { limit: 1000 });
  // The automatic rollback opened an incident: the demo ends with the report rewind wrote for it.
  const [incident] = await context.ledger.listIncidents({ env: ENV, limit: 1 });
  const report = incident ? await incidentReportOf(context.ledger, context.config, incident) : null;
  if (!report) ok = false;
  await context.close();

  if (!options.json) {
    say('\ntimeline');
    const t0 = events[0]?.at ?? 0;
    for (const e of events.filter((x) => x.event !== 'step_start')) {
      const what = e.event === 'step_complete' ? `  ${String(e.data.step)}: ${String(e.data.status)} (${String(e.data.durationMs)} ms)` : `${e.event}${e.fromVersion || e.toVersion ? ` ${e.fromVersion ?? 'none'} → ${e.toVersion ?? ''}` : ''}${e.data.success !== undefined ? ` success=${String(e.data.success)}` : ''}${e.data.durationMs !== undefined && e.event !== 'step_complete' ? ` ${String(e.data.durationMs)} ms` : ''}`;
      say(`  +${String(e.at - t0).padStart(5)} ms  ${what}`);
    }
    if (report) {
      say(`\nthe incident the rollback opened (rewind incident report ${report.incidentId}); what no machine can know is left [TO FILL IN]\n`);
      say(report.markdown.trimEnd());
    } else say('\nunexpected: the rollback opened no incident');
  }

  // Nothing may outlive the demo: the PM2 daemon's pid file must name a dead process.
  const pidFile = join(sandbox, 'pm2', 'pm2.pid');
  const daemonPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : null;
  const leftover = daemonPid !== null && pidAlive(daemonPid);
  if (leftover) ok = false;
  if (!options.keep) await rm(sandbox, { recursive: true, force: true });
  const durationMs = Math.round(performance.now() - started);
  say(`\n${ok ? '✓ demo passed' : '✗ demo failed'} in ${durationMs} ms; ${leftover ? `PM2 daemon ${daemonPid} still running!` : 'no process left running'}${options.keep ? `; sandbox kept at ${sandbox}` : ''}`);
  if (options.json) writeLine(io.stdout, JSON.stringify({ event: 'demo_complete', success: ok, servedVersion, durationMs } satisfies EventOf<'demo_complete'>));
  return { ok, servedVersion, events, sandbox, durationMs };
}
