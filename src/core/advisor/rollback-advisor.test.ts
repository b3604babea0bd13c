import { describe, expect, it } from 'vitest';
import type { Advice } from './advice.js';
import type { AdviceSignals, FailedDeploySignal } from './advice-signals.js';
import { DECISION_MATRIX } from './decision-matrix.js';
import { adviseRollback } from './rollback-advisor.js';

const signals = (over: Partial<AdviceSignals> = {}): AdviceSignals => ({
  env: 'production',
  health: { status: 'ok', message: 'healthy: GET http://127.0.0.1:3000/health → status 200 after 1 attempt(s)' },
  current: { version: '1.4.0', state: 'good', ci: 'passed' },
  lastKnownGood: { version: '1.3.0', ci: 'passed' },
  unfinished: [],
  ...over,
});

const failedDeploy = (over: Partial<FailedDeploySignal> = {}): FailedDeploySignal => ({
  operationId: 'op-1',
  version: '1.4.0',
  failedStep: 'health',
  phase: 'verify',
  error: 'health: unhealthy',
  rollback: 'none',
  rolledBackTo: null,
  migrationFailed: false,
  preUpgradeBackupId: null,
  stillCurrent: true,
  ...over,
});

const additiveDb = { currentVerdict: 'additive' as const, rollback: { mode: 'code-only' as const, reasons: ['migrations 001_add_col are additive'], backupId: null }, restoreAvailable: true };
const breakingDb = { currentVerdict: 'breaking' as const, rollback: { mode: 'restore' as const, reasons: ['1.4.0: RW101 drop column users.name', 'restore backup #7'], backupId: 7 }, restoreAvailable: true };
const ROLLBACK = 'rewind rollback production --yes';

const summary = (a: Advice) => ({ action: a.action, severity: a.severity, actWithin: a.actWithin, command: a.command });

describe('seed 004 "Rollback Decision Matrix": one case per row', () => {
  const rows: { row: keyof typeof DECISION_MATRIX; given: Partial<AdviceSignals>; expected: ReturnType<typeof summary> }[] = [
    { row: 'critical-bug-all-users', given: { featureBroken: true, usersAffected: 'all' }, expected: { action: 'rollback', severity: 'critical', actWithin: 'immediately', command: ROLLBACK } },
    { row: 'security-vulnerability', given: { security: true }, expected: { action: 'rollback', severity: 'critical', actWithin: 'immediately', command: ROLLBACK } },
    { row: 'performance-degradation', given: { latencyRatio: 1.8 }, expected: { action: 'rollback', severity: 'high', actWithin: '15 min', command: ROLLBACK } },
    {
      row: 'database-corruption',
      given: { dataCorruption: true, database: additiveDb },
      expected: { action: 'rollback-and-restore', severity: 'critical', actWithin: 'immediately', command: 'rewind rollback production --db restore --yes' },
    },
    { row: 'feature-not-working', given: { featureBroken: true }, expected: { action: 'rollback', severity: 'medium', actWithin: '1 hour', command: ROLLBACK } },
    { row: 'minor-ui-bug', given: { minor: true }, expected: { action: 'fix-forward', severity: 'low', actWithin: 'next release', command: 'rewind deploy production 1.4.1' } },
    {
      row: 'failed-migration',
      given: { current: { version: '1.4.0', state: 'failed', ci: 'passed' }, lastDeploy: failedDeploy({ failedStep: 'migrate', phase: 'change', migrationFailed: true, preUpgradeBackupId: 7 }), database: breakingDb },
      expected: { action: 'rollback-and-restore', severity: 'high', actWithin: '15 min', command: ROLLBACK },
    },
  ];

  it('covers every row of the matrix', () => {
    expect(rows.map((r) => r.row).sort()).toEqual(Object.keys(DECISION_MATRIX).sort());
  });

  it.each(rows)('$row', ({ row, given, expected }) => {
    const advice = adviseRollback(signals(given));
    expect(summary(advice)).toEqual(expected);
    expect(advice.findings.map((f) => f.issue)).toContain(row);
    expect(advice.reasons[0]).toContain(`rule: ${DECISION_MATRIX[row].issue} is ${expected.severity.charAt(0).toUpperCase()}${expected.severity.slice(1)}: ${DECISION_MATRIX[row].does}`);
    // Users never saw the playbooks behind the rules: no reason or caveat names one.
    expect(JSON.stringify(advice)).not.toMatch(/seed|playbook/i);
  });

  it('failed migration whose release was never activated: restores only the database, from its pre-upgrade backup', () => {
    const advice = adviseRollback(
      signals({ current: { version: '1.3.0', state: 'good', ci: 'passed' }, lastDeploy: failedDeploy({ failedStep: 'migrate', phase: 'change', migrationFailed: true, preUpgradeBackupId: 7, stillCurrent: false }) }),
    );
    expect(summary(advice)).toEqual({ action: 'rollback-and-restore', severity: 'high', actWithin: '15 min', command: 'rewind db restore production --backup 7 --yes' });
    expect(advice.reasons.join('\n')).toContain('1.4.0 was never activated');
  });
});

describe('seed 002 "Rollback immediately if"', () => {
  it('critical functionality is broken (the health check fails) → immediate rollback', () => {
    const advice = adviseRollback(signals({ health: { status: 'failing', message: 'unhealthy: GET /health → status 500 (2 attempts)' } }));
    expect(summary(advice)).toEqual({ action: 'rollback', severity: 'critical', actWithin: 'immediately', command: ROLLBACK });
    expect(advice.reasons[0]).toContain('the health check fails: unhealthy');
  });

  it.each([
    [0.06, 'rollback'],
    [0.05, 'monitor'],
  ] as const)('error rate %s → %s (the threshold is "exceeds 5%")', (errorRate, action) => {
    const advice = adviseRollback(signals({ errorRate }));
    expect(advice.action).toBe(action);
    if (action === 'rollback') expect(summary(advice)).toMatchObject({ severity: 'critical', actWithin: 'immediately' });
  });

  it.each([
    [1.51, 'rollback'],
    [1.5, 'monitor'],
  ] as const)('latency ratio %s → %s (the threshold is "> 50% slower")', (latencyRatio, action) => {
    expect(adviseRollback(signals({ latencyRatio })).action).toBe(action);
  });

  it('data corruption is occurring → rollback and restore, immediately', () => {
    expect(summary(adviseRollback(signals({ dataCorruption: true, database: breakingDb })))).toEqual({ action: 'rollback-and-restore', severity: 'critical', actWithin: 'immediately', command: ROLLBACK });
  });

  it('security vulnerability discovered → immediate rollback, and assess the exposure (seed 000)', () => {
    const advice = adviseRollback(signals({ security: true }));
    expect(advice.actWithin).toBe('immediately');
    expect(advice.caveats.join('\n')).toMatch(/assess the exposure.*1\.3\.0 does not carry the same vulnerability/);
  });

  it('cannot fix forward within 30 minutes → rollback, even with the root cause known', () => {
    const advice = adviseRollback(signals({ featureBroken: true, rootCauseKnown: true, fixEtaMinutes: 45, usersAffected: 'few' }));
    expect(advice.action).toBe('rollback');
    expect(advice.reasons.join('\n')).toContain('the fix is 45 min away — rule: when a fix will take more than 30 min, roll back');
  });
});

describe('seed 003 "When to rollback vs. roll-forward"', () => {
  it('rollback when it cannot be hot-fixed in < 30 min', () => {
    expect(adviseRollback(signals({ latencyRatio: 2, rootCauseKnown: true, fixEtaMinutes: 31 })).action).toBe('rollback');
  });

  it('roll forward when a hotfix ships faster than the rollback ceremony (measured here)', () => {
    const advice = adviseRollback(signals({ featureBroken: true, rootCauseKnown: true, fixEtaMinutes: 3, usersAffected: 'many', lastRollbackMs: 5.5 * 60_000 }));
    expect(summary(advice)).toEqual({ action: 'fix-forward', severity: 'medium', actWithin: '1 hour', command: 'rewind deploy production 1.4.1' });
    expect(advice.reasons.join('\n')).toContain('the last rollback of production took under 6 min');
    expect(advice.caveats.join('\n')).toContain('if the fix is not live within 1 hour, roll back: `rewind rollback production --yes`');
  });

  it('roll forward to a hotfix when the rollback would have to restore the database (option 2)', () => {
    const advice = adviseRollback(signals({ latencyRatio: 2, rootCauseKnown: true, fixEtaMinutes: 8, database: breakingDb }));
    expect(summary(advice)).toMatchObject({ action: 'fix-forward', severity: 'high', actWithin: '15 min' });
    expect(advice.reasons.join('\n')).toContain('database restore takes 10 min or more');
  });

  it('if unsure, roll back: root cause unknown, or no fix ETA', () => {
    const unknownCause = adviseRollback(signals({ featureBroken: true, fixEtaMinutes: 5, usersAffected: 'few' }));
    expect(unknownCause.action).toBe('rollback');
    expect(unknownCause.reasons.join('\n')).toMatch(/rule: if unsure, roll back: the root cause is not known/);
    const noEta = adviseRollback(signals({ featureBroken: true, rootCauseKnown: true }));
    expect(noEta.action).toBe('rollback');
    expect(noEta.reasons.join('\n')).toContain('there is no fix ETA (--fix-eta)');
  });

  it('an issue reported only by its reach is treated as "Feature not working": if unsure, roll back', () => {
    expect(summary(adviseRollback(signals({ usersAffected: 'many' })))).toEqual({ action: 'rollback', severity: 'medium', actWithin: '1 hour', command: ROLLBACK });
  });

  it('confirm the rolled-back release passed CI: warns, and the command carries --allow-untested', () => {
    const advice = adviseRollback(signals({ security: true, lastKnownGood: { version: '1.3.0', ci: 'unknown' } }));
    expect(advice.command).toBe('rewind rollback production --allow-untested --yes');
    expect(advice.caveats.join('\n')).toContain('1.3.0 has CI result "unknown", not "passed": you would run untested code, which is a separate incident');
  });

  it('after any rollback: incident note from → to, follow-up issue, feature flags', () => {
    expect(adviseRollback(signals({ security: true })).caveats.at(-1)).toMatch(/note 1\.4\.0 → 1\.3\.0 in the incident channel, file a follow-up issue, disable the feature flags/);
  });
});

describe('seed 004 "Rollback vs Fix Forward"', () => {
  it('rollback when the issue is critical and affects many users, however quick the fix', () => {
    expect(adviseRollback(signals({ errorRate: 0.2, usersAffected: 'many', rootCauseKnown: true, fixEtaMinutes: 5 })).action).toBe('rollback');
  });

  it('rollback when data integrity is at risk, however quick the fix', () => {
    const advice = adviseRollback(signals({ dataCorruption: true, rootCauseKnown: true, fixEtaMinutes: 5, usersAffected: 'few', database: additiveDb }));
    expect(advice.action).toBe('rollback-and-restore');
    expect(advice.caveats.join('\n')).toContain('writes made since the pre-upgrade backup are lost');
  });

  it('fix forward when minor-ish, few users, root cause known, fix quick (< 15 min)', () => {
    const advice = adviseRollback(signals({ featureBroken: true, usersAffected: 'few', rootCauseKnown: true, fixEtaMinutes: 10 }));
    expect(summary(advice)).toEqual({ action: 'fix-forward', severity: 'medium', actWithin: '1 hour', command: 'rewind deploy production 1.4.1' });
    expect(advice.reasons.join('\n')).toContain('rule: fix forward when the cause is known, the fix takes under 15 min and few users are affected');
    expect(advice.caveats[0]).toBe('register the fix first: `rewind release register production 1.4.1 --artifact \'<path>\'`');
  });

  it('a 15-minute fix is not "quick" and not faster than a 5-minute rollback: roll back', () => {
    const advice = adviseRollback(signals({ featureBroken: true, usersAffected: 'few', rootCauseKnown: true, fixEtaMinutes: 15 }));
    expect(advice.action).toBe('rollback');
  });
});

describe('precedence where the rules meet', () => {
  it('the worst severity wins: a minor bug plus a security issue is a critical rollback', () => {
    expect(summary(adviseRollback(signals({ minor: true, security: true })))).toMatchObject({ action: 'rollback', severity: 'critical' });
  });

  it('a minor bug is fixed forward even when the fix is hours away (seed 004 over the 30-minute rule)', () => {
    const advice = adviseRollback(signals({ minor: true, fixEtaMinutes: 120 }));
    expect(advice.action).toBe('fix-forward');
    expect(advice.caveats.join('\n')).toContain('a minor bug still does not warrant a rollback');
  });

  it('"all users" on a minor bug does not make it critical', () => {
    expect(adviseRollback(signals({ minor: true, usersAffected: 'all' })).severity).toBe('low');
  });

  it('> 50 % slower is High within 15 min (seed 004), not immediately (seed 002)', () => {
    expect(adviseRollback(signals({ latencyRatio: 3 })).actWithin).toBe('15 min');
  });

  it('a code rollback onto breaking migrations is a restore, and rewind picks it without --db', () => {
    const advice = adviseRollback(signals({ featureBroken: true, database: breakingDb }));
    expect(summary(advice)).toMatchObject({ action: 'rollback-and-restore', command: ROLLBACK });
    expect(advice.reasons.join('\n')).toContain('database: the rollback to 1.3.0 restores the pre-upgrade backup — 1.4.0: RW101 drop column users.name');
    expect(advice.caveats.join('\n')).toContain('writes made since backup #7 are lost');
  });

  it('critical with breaking migrations: restore now, and mention the hotfix that would keep the writes', () => {
    const advice = adviseRollback(signals({ security: true, database: breakingDb }));
    expect(summary(advice)).toMatchObject({ action: 'rollback-and-restore', actWithin: 'immediately' });
    expect(advice.caveats.join('\n')).toContain('a hotfix on top of the new release keeps those writes, if one can ship quickly: roll forward to it instead');
  });

  it('additive migrations: the reasons say the rollback is code only (seed 000)', () => {
    expect(adviseRollback(signals({ featureBroken: true, database: additiveDb })).reasons.join('\n')).toContain('database: code only — migrations 001_add_col are additive');
  });

  it('no last known good release: fix forward, with the --to override in the caveats', () => {
    const advice = adviseRollback(signals({ security: true, lastKnownGood: null }));
    expect(summary(advice)).toEqual({ action: 'fix-forward', severity: 'critical', actWithin: 'immediately', command: 'rewind deploy production 1.4.1' });
    expect(advice.reasons.join('\n')).toContain('there is nothing to roll back to (REWIND_E_NO_LKG)');
    expect(advice.caveats.join('\n')).toContain("rewind rollback production --to '<version>' --force --yes");
    expect(advice.caveats.join('\n')).not.toContain('if the fix is not live');
  });

  it('a rollback rewind would refuse (breaking migrations, no backup): fix forward, with --db skip at your own risk', () => {
    const frozen = { currentVerdict: 'breaking' as const, rollback: { mode: 'freeze' as const, reasons: ['no pre-upgrade backup is recorded to restore'], backupId: null }, restoreAvailable: false };
    const advice = adviseRollback(signals({ featureBroken: true, database: frozen }));
    expect(advice.action).toBe('fix-forward');
    expect(advice.reasons.join('\n')).toContain('rewind refuses this rollback (REWIND_E_ROLLBACK_UNSAFE)');
    expect(advice.caveats.join('\n')).toContain('rewind rollback production --db skip --yes');
  });

  it('data corruption without a backup to restore: roll the code back to stop the damage, restore the data another way', () => {
    const advice = adviseRollback(signals({ dataCorruption: true, database: { ...additiveDb, restoreAvailable: false } }));
    expect(summary(advice)).toMatchObject({ action: 'rollback-and-restore', command: ROLLBACK });
    expect(advice.caveats.join('\n')).toContain('rewind db pitr check production');
  });

  it('an unfinished operation comes first: the command resumes it, the advice moves to the caveats', () => {
    const advice = adviseRollback(signals({ security: true, unfinished: [{ id: 'op-9', kind: 'deploy', from: '1.3.0', to: '1.4.0' }] }));
    expect(advice.command).toBe('rewind resume production');
    expect(advice.reasons.join('\n')).toContain('deploy 1.3.0 → 1.4.0 (op-9) did not finish');
    expect(advice.caveats[0]).toContain(`the advice as things stand: \`${ROLLBACK}\``);
  });

  it('a failed deploy that still serves is High; one that rolled itself back needs only watching', () => {
    expect(summary(adviseRollback(signals({ current: { version: '1.4.0', state: 'failed', ci: 'passed' }, lastDeploy: failedDeploy() })))).toMatchObject({ action: 'rollback', severity: 'high' });
    const rolledBack = adviseRollback(signals({ current: { version: '1.3.0', state: 'good', ci: 'passed' }, lastDeploy: failedDeploy({ rollback: 'succeeded', rolledBackTo: '1.3.0', stillCurrent: false }) }));
    expect(rolledBack.action).toBe('monitor');
    expect(rolledBack.reasons.join('\n')).toContain('rewind rolled back to 1.3.0 by itself');
    expect(rolledBack.caveats).toContain('after a rollback, keep watching for 30 minutes');
  });

  it('a deploy stopped in preflight changed nothing: no finding', () => {
    expect(adviseRollback(signals({ lastDeploy: failedDeploy({ failedStep: 'disk-space', phase: 'preflight', stillCurrent: false }) })).action).toBe('monitor');
  });

  it('a failed automatic rollback is Critical: roll back again after reading the journal', () => {
    const advice = adviseRollback(signals({ current: { version: '1.4.0', state: 'failed', ci: 'passed' }, lastDeploy: failedDeploy({ rollback: 'failed', rolledBackTo: '1.3.0' }) }));
    expect(summary(advice)).toMatchObject({ action: 'rollback', severity: 'critical', command: ROLLBACK });
    expect(advice.caveats.join('\n')).toContain('rewind history production --json');
  });
});

describe('no trigger, and the command line', () => {
  it('nothing wrong: monitor, no deadline, `rewind status`', () => {
    const advice = adviseRollback(signals({ errorRate: 0.01, latencyRatio: 1.1 }));
    expect(summary(advice)).toEqual({ action: 'monitor', severity: 'low', actWithin: 'no deadline', command: 'rewind status production' });
    expect(advice.reasons).toEqual([
      'no rollback trigger fired (health failing, error rate above 5 %, latency more than 50 % above the baseline, or an issue you reported): keep watching',
      'the health check passes: healthy: GET http://127.0.0.1:3000/health → status 200 after 1 attempt(s)',
      'error rate 1% is within 5%',
      'latency is 1.1× the baseline, within +50%',
    ]);
  });

  it('no live signal at all: says so', () => {
    expect(adviseRollback(signals({ health: { status: 'unknown', message: 'nothing is deployed to check' } })).caveats[0]).toBe(
      'no live health signal (nothing is deployed to check): pass --error-rate / --latency-ratio if you have numbers',
    );
  });

  it('no health check configured: names the key to add, and only then', () => {
    const advice = adviseRollback(signals({ health: { status: 'unknown', message: 'no health check is configured', missing: 'environments.production.health' } }));
    expect(advice.caveats[0]).toBe(
      'no live health signal: environments.production.health is not configured; add it (docs/config.md#health) so advise and every deploy probe the release, or pass --error-rate / --latency-ratio',
    );
  });

  it('carries --config into every command, quoted for a shell when needed', () => {
    const advice = adviseRollback(signals({ security: true, commandSuffix: ['--config', "/srv/ops team/rewind's.yaml"] }));
    expect(advice.argv).toEqual(['rewind', 'rollback', 'production', '--yes', '--config', "/srv/ops team/rewind's.yaml"]);
    expect(advice.command).toBe(`rewind rollback production --yes --config '/srv/ops team/rewind'\\''s.yaml'`);
  });
});
