import { SEVERITIES, type Advice, type AdviceAction, type Finding, type Severity } from './advice.js';
import type { AdviceSignals } from './advice-signals.js';
import { chooseAction } from './choose-action.js';
import { originNote } from './combine-signals.js';
import { collectFindings, percent, times } from './collect-findings.js';
import { ACT_WITHIN, THRESHOLDS } from './decision-matrix.js';
import { commandLine } from '../../util/command-line.js';
import { hotfixVersion } from './suggested-command.js';

/**
 * `rewind advise`: turns the live signals and the operator's answers into one recommendation —
 * the seeds' decision matrix (seed 004), rollback-vs-fix-forward rules (seeds 003, 004) and
 * triggers (seeds 001, 002) — with every reason and the exact command. Pure and synchronous.
 *
 * Where the seeds disagree, this is the precedence (each case has a test):
 *  - Data integrity first: corruption or a failed migration means roll back and restore the
 *    database, even with a fix minutes away (seed 004 "Rollback when: data integrity is at risk").
 *  - Latency: seed 002 lists "> 50 % slower" under "rollback immediately", seed 004's matrix says
 *    High, within 15 min. The matrix, which has the time column, wins. The error rate has no matrix
 *    row, so seed 002's "immediately" (Critical) stands for it.
 *  - "Minor UI bug → fix forward, don't rollback" (seed 004) wins over "fix > 30 min → rollback":
 *    the 30-minute rules are about releases that are broken, which a minor bug is not.
 *  - Critical issues are not weighed against a fix ETA: no hotfix beats an immediate rollback.
 *  - A rollback rewind would refuse (nothing deployed, no LKG, no safe database plan) becomes
 *    fix forward, with rewind's reason and the override in the caveats.
 *  - A code rollback onto breaking migrations is a restore (DESIGN.md "Database-aware rollback").
 *  - An unfinished operation blocks every rollback and deploy: resuming it is the command, and the
 *    advice without it moves to the caveats.
 *  - A rollback target that did not pass CI is warned about (seed 003), and the command carries the
 *    `--allow-untested` that `rewind rollback` requires for it.
 */
export function adviseRollback(signals: AdviceSignals): Advice {
  const findings = collectFindings(signals);
  const suffix = signals.commandSuffix ?? [];
  const rewind = (...args: string[]): string[] => ['rewind', ...args, ...suffix];
  const reasons = findings.map((f) => `${f.evidence} — ${f.rule}`);
  const caveats: string[] = [];
  const { env } = signals;

  let action: AdviceAction;
  let severity: Severity = 'low';
  let actWithin = 'no deadline';
  let argv: string[];
  if (findings.length === 0) {
    action = 'monitor';
    reasons.push('no rollback trigger fired (health failing, error rate above 5 %, latency more than 50 % above the baseline, or an issue you reported): keep watching');
    if (signals.health.status === 'unknown') caveats.push(healthCaveat(signals.health));
    // "Keep watching" with a metric unknown rests on less evidence than it reads: say which, and how to add it.
    caveats.push(...unknownMetricCaveats(unknownMetrics(signals)));
    if (signals.lastDeploy?.rollback === 'succeeded') caveats.push('after a rollback, keep watching for 30 minutes');
    argv = rewind('status', env);
  } else {
    severity = worst(findings);
    actWithin = ACT_WITHIN[severity];
    const choice = chooseAction(signals, findings, severity);
    reasons.push(choice.rule);
    let planned = choice.action === 'fix-forward' ? fixForward(signals, severity, actWithin, caveats, rewind, canRollBack(signals)) : rollback(signals, choice.action, reasons, caveats, rewind);
    if (planned.refusedRollback) {
      reasons.push(`${planned.refusedRollback} — so fix forward instead`);
      planned = fixForward(signals, severity, actWithin, caveats, rewind, false);
    }
    action = planned.action;
    argv = planned.argv;
  }
  reasons.push(...context(signals));

  const running = signals.unfinished[0];
  if (running) {
    reasons.push(`${running.kind} ${running.from ?? 'none'} → ${running.to} (${running.id}) did not finish: rollbacks and deploys refuse until it is resumed or abandoned`);
    caveats.unshift(`resume first (or \`${commandLine(rewind('resume', env, '--abandon'))}\` to stop it), then run \`${commandLine(rewind('advise', env))}\` again; the advice as things stand: \`${commandLine(argv)}\``);
    argv = rewind('resume', env);
  }
  return { env, action, severity, actWithin, reasons, command: commandLine(argv), argv, caveats, findings };
}

interface UnknownMetric {
  name: string;
  flag: string;
  /** The config key whose absence left it unknown (origins' `missing`). */
  missing?: string;
}

/** The metrics the advice had no number for, with their flag; empty when the caller did not say (no origins). */
function unknownMetrics(signals: AdviceSignals): UnknownMetric[] {
  const found: UnknownMetric[] = [];
  const { errorRate, latencyRatio } = signals.origins ?? {};
  if (errorRate?.from === 'unknown') found.push({ name: 'the error rate', flag: '--error-rate', missing: errorRate.missing });
  if (latencyRatio?.from === 'unknown') found.push({ name: 'the latency ratio', flag: '--latency-ratio', missing: latencyRatio.missing });
  return found;
}

/** What is really missing: a key to add to rewind.yaml when none is configured, else only why there is no signal. */
function healthCaveat(health: AdviceSignals['health']): string {
  if (health.missing) return `no live health signal: ${health.missing} is not configured; add it (docs/config.md#health) so advise and every deploy probe the release, or pass --error-rate / --latency-ratio`;
  return `no live health signal (${health.message}): pass --error-rate / --latency-ratio if you have numbers`;
}

/**
 * One caveat for the metrics that no watch source measures (they share the key to add), one per
 * metric the source could not measure (it failed, had no data, no baseline): each says what would
 * give it a number.
 */
function unknownMetricCaveats(unknown: UnknownMetric[]): string[] {
  const caveats: string[] = [];
  const unconfigured = unknown.filter((m) => m.missing);
  if (unconfigured.length) {
    const names = unconfigured.map((m) => m.name).join(' and ');
    const one = unconfigured.length === 1;
    caveats.push(
      `${names} ${one ? 'is' : 'are'} not known because ${unconfigured[0]!.missing} is not configured, so ${one ? 'it' : 'neither'} can have fired: add a watch source to measure ${one ? 'it' : 'them'} (prometheus or http-probe, docs/config.md#watch-window; each deploy then also watches the new release before marking it good), or pass ${unconfigured.map((m) => m.flag).join(' / ')} if you have ${one ? 'a number' : 'numbers'}`,
    );
  }
  for (const m of unknown.filter((u) => !u.missing)) caveats.push(`${m.name} is not known, so it cannot have fired: pass ${m.flag} if you have a number`);
  return caveats;
}

/** Whether `rewind rollback` would accept to run, as a fallback for a fix that does not land in time. */
function canRollBack(signals: AdviceSignals): boolean {
  return signals.current !== null && signals.lastKnownGood !== null && signals.database?.rollback?.mode !== 'freeze';
}

function worst(findings: Finding[]): Severity {
  return SEVERITIES[Math.min(...findings.map((f) => SEVERITIES.indexOf(f.severity)))]!;
}

interface Planned {
  action: AdviceAction;
  argv: string[];
  /** Set when rewind would refuse the rollback: why, so the advice falls back to fixing forward. */
  refusedRollback?: string;
}

type Rewind = (...args: string[]) => string[];

function rollback(signals: AdviceSignals, chosen: 'rollback' | 'rollback-and-restore', reasons: string[], caveats: string[], rewind: Rewind): Planned {
  const { env, current, lastKnownGood: lkg, database: db, lastDeploy: deploy } = signals;
  let action: AdviceAction = chosen;
  const refuse = (why: string): Planned => ({ action: 'fix-forward', argv: [], refusedRollback: why });

  // A migration that failed before its release was activated: only the database needs to go back.
  if (chosen === 'rollback-and-restore' && deploy?.migrationFailed && deploy.rollback === 'none' && !deploy.stillCurrent) {
    if (deploy.preUpgradeBackupId === null) return refuse(`no pre-upgrade backup is recorded for ${deploy.version}: repair the schema forward with a compensating migration`);
    reasons.push(`${deploy.version} was never activated: only the database goes back, to backup #${deploy.preUpgradeBackupId} taken before its migrations ran`);
    caveats.push(`writes made since backup #${deploy.preUpgradeBackupId} are lost unless recovered by point-in-time recovery`);
    return { action, argv: rewind('db', 'restore', env, '--backup', String(deploy.preUpgradeBackupId), '--yes') };
  }
  if (!current) return refuse(`nothing is deployed to ${env}: there is nothing to roll back`);
  if (!lkg) {
    caveats.push(`to go back to an older release anyway: \`${commandLine(rewind('rollback', env, '--to', '<version>', '--force', '--yes'))}\``);
    return refuse(`no release of ${env} reached good before ${current.version}: there is nothing to roll back to (REWIND_E_NO_LKG)`);
  }

  const auto = db?.rollback;
  if (auto?.mode === 'freeze') {
    caveats.push(`to roll back the code only, onto a schema it may not handle, at your own risk: \`${commandLine(rewind('rollback', env, '--db', 'skip', '--yes'))}\``);
    return refuse(`rewind refuses this rollback (REWIND_E_ROLLBACK_UNSAFE): ${auto.reasons.join('; ')}`);
  }
  const args = ['rollback', env];
  if (auto?.mode === 'restore') {
    action = 'rollback-and-restore';
    reasons.push(`database: the rollback to ${lkg.version} restores the pre-upgrade backup — ${auto.reasons.join('; ')}`);
  } else if (chosen === 'rollback-and-restore') {
    if (db?.restoreAvailable) {
      args.push('--db', 'restore');
      reasons.push(`database: --db restore puts the pre-upgrade backup back although the migrations since ${lkg.version} would allow a code-only rollback`);
    } else if (!db) {
      caveats.push(`rewind has no database configured for ${env}: restore it by hand — stop the app, restore the most recent good backup, replay the WAL if archived`);
    } else {
      caveats.push(`no pre-upgrade backup is recorded since ${lkg.version}: the code rollback stops further damage; restore the data from another backup (\`${commandLine(rewind('db', 'list', env))}\`) or point-in-time recovery (\`${commandLine(rewind('db', 'pitr', 'check', env))}\`)`);
    }
  } else if (auto) {
    reasons.push(`database: code only — ${auto.reasons.join('; ')}`);
  }
  if (action === 'rollback-and-restore' && (auto?.mode === 'restore' || args.includes('--db'))) {
    caveats.push(`writes made since ${auto?.backupId ? `backup #${auto.backupId}` : 'the pre-upgrade backup'} are lost unless recovered (replay the WAL with point-in-time recovery); a safety backup of the current state is taken first`);
    // Only the migrations forced the restore, not the data: a hotfix is preferred then (seed 003).
    if (chosen === 'rollback') {
      caveats.push('a hotfix on top of the new release keeps those writes, if one can ship quickly: roll forward to it instead');
    }
  }
  if (lkg.ci !== 'passed') {
    args.push('--allow-untested');
    caveats.push(`the rollback target ${lkg.version} has CI result "${lkg.ci}", not "passed": you would run untested code, which is a separate incident`);
  }
  args.push('--yes');
  if (signals.security) {
    caveats.push(`assess the exposure, and make sure ${lkg.version} does not carry the same vulnerability (roll back to the last secure release)`);
  }
  if (deploy?.rollback === 'failed') caveats.push(`read why the automatic rollback failed before running it again: \`${commandLine(rewind('history', env, '--json'))}\``);
  caveats.push(`afterwards: note ${current.version} → ${lkg.version} in the incident channel, file a follow-up issue, disable the feature flags ${current.version} turned on, and keep watching for 30 minutes`);
  return { action, argv: rewind(...args) };
}

function fixForward(signals: AdviceSignals, severity: Severity, actWithin: string, caveats: string[], rewind: Rewind, canRollBack: boolean): Planned {
  const { env } = signals;
  const version = hotfixVersion(signals.current?.version);
  caveats.push(`register the fix first: \`${commandLine(rewind('release', 'register', env, version, '--artifact', '<path>'))}\``);
  if (canRollBack && severity !== 'low') caveats.push(`if the fix is not live within ${actWithin}, roll back: \`${commandLine(rewind('rollback', env, ...(signals.lastKnownGood?.ci === 'passed' ? [] : ['--allow-untested']), '--yes'))}\` (if unsure, roll back)`);
  if (severity === 'low' && signals.fixEtaMinutes !== undefined && signals.fixEtaMinutes > THRESHOLDS.fixForwardMaxMinutes) {
    caveats.push(`the fix is ${signals.fixEtaMinutes} min away; a minor bug still does not warrant a rollback`);
  }
  return { action: 'fix-forward', argv: rewind('deploy', env, version) };
}

/** What else the signals say, for the record: the checks that passed and what already happened. */
function context(signals: AdviceSignals): string[] {
  const lines: string[] = [];
  if (signals.health.status === 'ok') lines.push(`the health check passes: ${signals.health.message}`);
  const origins = signals.origins;
  if (signals.errorRate !== undefined && signals.errorRate <= THRESHOLDS.errorRate) lines.push(`error rate ${percent(signals.errorRate)} is within ${percent(THRESHOLDS.errorRate)}${originNote(origins?.errorRate, percent)}`);
  if (signals.latencyRatio !== undefined && signals.latencyRatio <= THRESHOLDS.latencyRatio) lines.push(`latency is ${times(signals.latencyRatio)} the baseline, within +${percent(THRESHOLDS.latencyRatio - 1)}${originNote(origins?.latencyRatio, times)}`);
  // A metric that could not be measured is said, never guessed: the advice stands on the rest.
  if (origins?.errorRate.from === 'unknown') lines.push(`error rate unknown: ${origins.errorRate.reason}`);
  if (origins?.latencyRatio.from === 'unknown') lines.push(`latency ratio unknown: ${origins.latencyRatio.reason}`);
  const deploy = signals.lastDeploy;
  if (deploy?.rollback === 'succeeded') lines.push(`the deploy of ${deploy.version} failed at ${deploy.failedStep ?? 'a step'}; rewind rolled back to ${deploy.rolledBackTo ?? 'the last known good release'} by itself`);
  if (deploy?.phase === 'preflight') lines.push(`the last deploy of ${deploy.version} stopped in preflight at ${deploy.failedStep ?? 'a step'}: nothing changed`);
  return lines;
}
