import { environmentConfig } from '../../config/load-config.js';
import { computeDora, type DoraReport } from '../../core/report/dora-metrics.js';
import { parseSince } from '../../core/report/report-window.js';
import { RewindError } from '../../errors/rewind-error.js';
import { toJson } from '../../util/iso-times.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { openContext } from '../cli-context.js';
import { resolveEnvironment } from '../environment-argument.js';
import { parseCommandArgs, unknownSubcommand } from '../parse-args.js';

export const usage = 'rewind report dora [<env>] [--since 90d|12w|ISO-date] [--json]';
export const help = `${usage}

The four DORA keys of one environment (name your production one), computed from the ledger:

  deployment frequency   successful deploys per day and week, and DORA's bucket (on-demand,
                         daily-weekly, weekly-monthly, monthly-6-monthly, fewer)
  lead time for changes  median from a release's commit (release register --commit-time) to its
                         first successful deploy; without a commit time, from its register time
                         (counted apart, and said so)
  change failure rate    distinct live deploys followed by a rollback or an incident, over the
                         deploys that went live (the denominator is deploys, not changes)
  time to restore        median, per incident (or rollback without one), from detection (the
                         deploy's first failing step, or when a person said) to service restored
                         (the rollback's checks passed)

Each metric says how many samples it has and what it left out (deploys that never went live,
redeploys, drills, rollbacks of deploys from before the window...). Definitions, and what rewind
knows that the Four Keys project has to guess: docs/dora.md.

Options:
  --since W   the window, back from now: 90d (the default), 12w, or an ISO date or time
              (2026-09-01, 2026-09-01T12:00:00Z)
  --json      one JSON document; field names are stable, numbers are numbers (durations in ms,
              rates in 0..1), times ISO 8601 UTC

<env> may be left out when rewind.yaml defines a single environment (named on stderr).`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { since: { type: 'string' } }, { min: 0, max: 2, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const [report, given] = args.positionals;
  if (report === undefined) throw new RewindError('REWIND_E_USAGE', `which report? — usage: ${usage}`, { argument: '<report>' });
  if (report !== 'dora') throw unknownSubcommand('report', report, ['dora'], usage);
  // Checked before the ledger is opened: a bad window changes nothing and costs nothing.
  const now = Date.now();
  const window = parseSince(args.string('since'), now);
  const context = await openContext(args, io);
  try {
    const env = resolveEnvironment(given, Object.keys(context.config.environments), io, usage);
    environmentConfig(context.config, env);
    const rows = await context.ledger.readDoraRows(env, window);
    const dora = computeDora(env, rows, window);
    writeLine(io.stdout, args.flag('json') ? toJson(dora) : renderDora(dora));
    return 0;
  } finally {
    await context.close();
  }
}

/** 3 min 05 s, 12 h 20 min, 4 d 03 h: two units, enough to compare. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${String(h % 24).padStart(2, '0')} h`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');
/** Only what is not zero, in words; "none" when nothing was left out. */
const reasons = (parts: [number, string, string?][]) => parts.filter(([n]) => n > 0).map(([n, one, many]) => plural(n, one, many)).join('; ') || 'none';

export function renderDora(r: DoraReport): string {
  const f = r.deploymentFrequency;
  const l = r.leadTime;
  const c = r.changeFailureRate;
  const t = r.timeToRestore;
  const median = (ms: number | null, p90: number | null) => (ms === null ? 'no samples' : `median ${formatDuration(ms)} (p90 ${formatDuration(p90!)})`);
  const rows: [string, string, string, string][] = [
    ['metric', 'value', 'DORA bucket', 'samples'],
    ['deployment frequency', `${f.perDay.toFixed(2)}/day, ${f.perWeek.toFixed(1)}/week`, f.bucket, plural(f.deploys, 'deploy')],
    ['lead time for changes', median(l.medianMs, l.p90Ms), l.bucket ?? '—', plural(l.samples, 'change')],
    ['change failure rate', c.rate === null ? 'no deploys' : `${(c.rate * 100).toFixed(1)} % (${c.failed} of ${c.deploys})`, '—', plural(c.deploys, 'deploy')],
    ['time to restore', median(t.medianMs, t.p90Ms), t.bucket ?? '—', plural(t.samples, 'failure')],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('   ');
  const out = [`DORA metrics for ${r.env}, ${iso(r.window.sinceAt)} → ${iso(r.window.untilAt)} (${r.window.days} days)`, '', line(rows[0]!), line(widths.map((w) => '-'.repeat(w)).concat('-------')), ...rows.slice(1).map(line), '', 'left out, and why:'];
  out.push(`  deployment frequency: ${reasons([[f.excluded.failed, 'failed deploy'], [f.excluded.running, 'deploy still running', 'deploys still running'], [f.excluded.drill, 'drill deploy']])}`);
  out.push(`  lead time:            ${reasons([[l.excluded.redeploys, 'redeploy of a release already in production', 'redeploys of releases already in production'], [l.excluded.commitAfterDeploy, 'commit time after its deploy', 'commit times after their deploys'], [l.excluded.noRelease, 'deploy without a release row', 'deploys without a release row'], [l.excluded.drill, 'drill deploy']])}`);
  out.push(`  change failure rate:  ${reasons([[c.excluded.neverLive, 'deploy that never went live (stopped before activation)', 'deploys that never went live (stopped before activation)'], [c.excluded.running, 'deploy still running', 'deploys still running'], [c.excluded.drill, 'drill deploy'], [c.excluded.rollbacksOfEarlierDeploys, 'rollback of a deploy from before the window', 'rollbacks of deploys from before the window']])}`);
  out.push(`  time to restore:      ${reasons([[t.excluded.notRestored, 'failure not restored by a rollback', 'failures not restored by a rollback'], [t.excluded.drill, 'drill'], [t.excluded.partOfEarlierIncident, 'rollback that joined an incident opened before the window', 'rollbacks that joined incidents opened before the window']])}`);
  const notes: string[] = [];
  if (l.fromRegisterTime > 0) notes.push(`lead time: ${plural(l.fromRegisterTime, 'change')} of ${l.samples} measured from the register time: no commit time was recorded (release register --commit-time)`);
  if (c.withIncident > 0) notes.push(`change failure rate: ${plural(c.withIncident, 'failed deploy')} of ${c.failed} with an incident`);
  if (c.failedUnrolledBack > 0) notes.push(`change failure rate: ${plural(c.failedUnrolledBack, 'live deploy')} failed verification with no rollback (paused, or no LKG): in the denominator, not counted failed`);
  if (t.unverified > 0) notes.push(`time to restore: ${plural(t.unverified, 'restore')} of ${t.samples} not verified (no post-rollback check): restored as far as rewind can tell`);
  if (t.samples > 0) notes.push(`time to restore: ${t.fromIncidents} from incidents, ${t.fromRollbacks} from rollbacks recorded without one`);
  if (notes.length) out.push('', 'notes:', ...notes.map((n) => `  ${n}`));
  return out.join('\n');
}
