import type { Advice } from '../../core/advisor/advice.js';
import type { OperatorSignals } from '../../core/advisor/advice-signals.js';
import { parseErrorRate, parseFixEta, parseLatencyRatio, parseUsersAffected } from '../../core/advisor/signal-values.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { openContext } from '../cli-context.js';
import { resolveEnvironment } from '../environment-argument.js';
import { parseCommandArgs, type ParsedArgs } from '../parse-args.js';
import { toJson } from '../../util/iso-times.js';

export const usage =
  'rewind advise [<env>] [--data-corruption] [--security] [--feature-broken] [--minor] [--users-affected all|many|few] [--root-cause-known] [--fix-eta <20m|1h|90s>] [--error-rate <0.08|8%>] [--latency-ratio <n>] [--json]';

export const help = `${usage}

Rollback or fix forward? Reads the live signals — one pass of the configured health check, the
current release and the last known good one (with their CI results), the newest deploy and what
its journal says, unfinished operations, what a rollback would do to the database (migration
verdicts), and one measurement through the environment's watch.source (prometheus or http-probe):
the error rate, and the p95 latency over the baseline p95 the newest deploy recorded — adds what
you tell it, and applies the rules below. It prints the action, the severity, the time to act,
every reason (each number says whether it was measured, and via what, or given by a flag), and
the exact command to run. It changes nothing.

A metric that cannot be measured (no watch.source, the source is down or has no data, no
recorded baseline) is reported as unknown and raises nothing; the advice stands on the rest.
--error-rate and --latency-ratio override the measured values.
<env> may be left out when rewind.yaml defines a single environment: that one is used (named on
stderr); with several, leaving it out is REWIND_E_USAGE naming them.

Decision matrix                               severity   action
  critical bug affecting all users            critical   roll back immediately
  security vulnerability                      critical   roll back immediately
  performance degradation > 50 %              high       roll back within 15 min
  database corruption                         critical   roll back + restore the database
  feature not working                         medium     roll back within 1 hour
  minor UI bug                                low        fix forward, don't roll back
  failed migration                            high       roll back + restore the database
Also: an error rate above 5 % is critical; a failing health check is a critical bug affecting all
users; a deploy that failed and still serves is high.

Rollback vs fix forward: data integrity at risk → roll back and restore;
critical → roll back now; minor → fix forward; a fix more than 30 min away → roll back; fix forward
only with the root cause known and a fix under 15 min for few users, or a hotfix under 30 min that
ships faster than the rollback itself; otherwise: if unsure, roll back. A rollback target that did
not pass CI is flagged.

Options (what rewind cannot measure, and overrides for what it can):
  --data-corruption          data is being corrupted
  --security                 the release introduced a security vulnerability
  --feature-broken           a feature does not work
  --minor                    the issue is a minor (UI) bug
  --users-affected <reach>   all, many or few
  --root-cause-known         the cause is understood (absent: unknown, which argues for a rollback)
  --fix-eta <duration>       time until a fix is live: 20m, 1h, 90s, 1h30m
  --error-rate <rate>        failed requests: a fraction (0.08) or a percentage (8%); overrides the measured rate
  --latency-ratio <n>        latency over the baseline: 1.5 is 50 % slower; overrides the measured ratio
  --json                     print the advice and the signals as one JSON object

Exit codes: 0 whenever advice is given, whatever it recommends (read "action" to act on it);
2 bad input (REWIND_E_USAGE names the flag) or an unknown environment; 3 the ledger is unreachable.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      'data-corruption': { type: 'boolean' },
      security: { type: 'boolean' },
      'feature-broken': { type: 'boolean' },
      minor: { type: 'boolean' },
      'users-affected': { type: 'string' },
      'root-cause-known': { type: 'boolean' },
      'fix-eta': { type: 'string' },
      'error-rate': { type: 'string' },
      'latency-ratio': { type: 'string' },
    },
    { min: 0, max: 1, usage },
  );
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  // Bad answers are refused before anything is opened or probed.
  const operator = operatorSignals(args);
  const context = await openContext(args, io);
  try {
    const env = resolveEnvironment(args.positionals[0], Object.keys(context.config.environments), io, usage);
    const [{ gatherLiveSignals }, { combineSignals }, { adviseRollback }, { composeSignalReaders }] = await Promise.all([
      import('../../core/advisor/live-signals.js'),
      import('../../core/advisor/combine-signals.js'),
      import('../../core/advisor/rollback-advisor.js'),
      import('../../app/compose-services.js'),
    ]);
    const live = await gatherLiveSignals({ config: context.config, ledger: context.ledger, ...(await composeSignalReaders(context.config)) }, env);
    const configArg = args.string('config');
    const signals = combineSignals(live, operator, configArg ? ['--config', configArg] : []);
    const advice = adviseRollback(signals);
    if (args.flag('json')) {
      const { commandSuffix: _suffix, ...shown } = signals;
      writeLine(io.stdout, toJson({ ...advice, signals: shown }));
    }
    else render(advice, io);
    return 0;
  } finally {
    await context.close();
  }
}

function operatorSignals(args: ParsedArgs): OperatorSignals {
  const flag = (name: string) => args.flag(name);
  const string = (name: string) => args.string(name);
  const signals: OperatorSignals = {};
  if (flag('data-corruption')) signals.dataCorruption = true;
  if (flag('security')) signals.security = true;
  if (flag('feature-broken')) signals.featureBroken = true;
  if (flag('minor')) signals.minor = true;
  if (flag('root-cause-known')) signals.rootCauseKnown = true;
  const reach = string('users-affected');
  if (reach !== undefined) signals.usersAffected = parseUsersAffected(reach);
  const eta = string('fix-eta');
  if (eta !== undefined) signals.fixEtaMinutes = parseFixEta(eta);
  const errorRate = string('error-rate');
  if (errorRate !== undefined) signals.errorRate = parseErrorRate(errorRate);
  const latency = string('latency-ratio');
  if (latency !== undefined) signals.latencyRatio = parseLatencyRatio(latency);
  return signals;
}

const LABELS: Record<Advice['action'], string> = {
  rollback: 'ROLL BACK',
  'rollback-and-restore': 'ROLL BACK AND RESTORE THE DATABASE',
  'fix-forward': 'FIX FORWARD',
  monitor: 'NO ACTION: keep watching',
};

function render(advice: Advice, io: CliIo): void {
  const out = io.stdout;
  writeLine(out, `advice    ${LABELS[advice.action]} (${advice.env})`);
  writeLine(out, `severity  ${advice.severity}`);
  writeLine(out, `act       ${advice.actWithin}`);
  writeLine(out, `run       ${advice.command}`);
  writeLine(out, 'because');
  for (const reason of advice.reasons) writeLine(out, `  - ${reason}`);
  if (advice.caveats.length) {
    writeLine(out, 'mind');
    for (const caveat of advice.caveats) writeLine(out, `  - ${caveat}`);
  }
}
