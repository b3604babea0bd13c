import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { createCommandSandbox, ENV, ReleaseHealthServer, type CommandSandbox } from './support/command-sandbox.js';
import { FakeGithub } from './support/fake-github.js';

// The CI gate through the built CLI: `ci:` (type github) against the fake GitHub REST API
// (test/support/fake-github.ts), the real releases target with the command runtime, a SQLite
// ledger. Register records what GitHub says; deploy and rollback ask again; a rollback onto a
// release whose checks failed needs --allow-untested, and the override is audited and reported.

const REPO = 'acme/shop';
const TOKEN = 'github_pat_11TESTTESTTEST_not-a-real-secret';
const TOKEN_ENV = 'REWIND_TEST_GITHUB_TOKEN';
const SHA = { '1.0.0': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', '1.1.0': 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2', '1.2.0': 'ccccccccccccccccccccccccccccccccccccccc3', '2.0.0': 'ddddddddddddddddddddddddddddddddddddddd4', '2.1.0': 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee5' } as const;
const PASSING = { runs: [{ name: 'test', status: 'completed' as const, conclusion: 'success' as const }, { name: 'lint', status: 'completed' as const, conclusion: 'neutral' as const }] };

describe('the CI gate from GitHub check runs (real CLI, fake GitHub)', () => {
  let health: ReleaseHealthServer;
  let github: FakeGithub;
  let sandbox: CommandSandbox;
  // `null`: the variable is empty, as unset as a child process's environment can say.
  const cli = (args: string[], token: string | null = TOKEN) => sandbox.cli(args, { [TOKEN_ENV]: token ?? '' });
  const artifact = async (version: string) => {
    const dir = join(sandbox.root, 'artifacts', version);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'app.txt'), `release ${version}\n`);
    return dir;
  };
  const register = async (version: keyof typeof SHA, extra: string[] = []) => cli(['release', 'register', ENV, version, '--artifact', await artifact(version), '--commit', SHA[version], '--json', ...extra]);
  const ciEvents = async () => (await sandbox.ledger.listEvents(ENV, { limit: 1000 })).filter((e) => e.event === 'ci_checked');
  const noToken = (result: { stdout: string; stderr: string }) => {
    expect(result.stdout).not.toContain(TOKEN);
    expect(result.stderr).not.toContain(TOKEN);
  };

  beforeAll(async () => {
    // For the in-process services (compose-services reads the token variable from this process).
    process.env[TOKEN_ENV] = TOKEN;
    [health, github] = await Promise.all([ReleaseHealthServer.start(), FakeGithub.start()]);
    github.addToken(TOKEN, { repos: [REPO], checks: true, statuses: true });
    github.addToken('read-contents-only', { repos: [REPO], checks: false, statuses: false });
    sandbox = await createCommandSandbox(health, {
      environmentYaml: `    ci:\n      type: github\n      repository: ${REPO}\n      tokenEnv: ${TOKEN_ENV}\n      apiUrl: ${github.url}\n      retries: 1\n      timeoutMs: 2000\n`,
    });
    github.setCommit(REPO, SHA['1.0.0'], PASSING);
    github.setCommit(REPO, SHA['1.1.0'], PASSING);
    github.setCommit(REPO, SHA['1.2.0'], { runs: [{ name: 'test', status: 'completed', conclusion: 'failure' }, { name: 'lint', status: 'completed', conclusion: 'success' }] });
    github.setCommit(REPO, SHA['2.0.0'], { runs: [{ name: 'test', status: 'in_progress', conclusion: null }], statuses: [{ context: 'ci/jenkins', state: 'success' }] });
  });
  afterAll(async () => {
    delete process.env[TOKEN_ENV];
    await sandbox?.close();
    await Promise.all([health?.close(), github?.close()]);
  });

  it('refuses --ci and a missing --commit when the gate is configured, recording nothing', async () => {
    const dir = await artifact('1.0.0');
    const [withCi, noCommit] = await Promise.all([
      cli(['release', 'register', ENV, '1.0.0', '--artifact', dir, '--commit', SHA['1.0.0'], '--ci', 'passed']),
      cli(['release', 'register', ENV, '1.0.0', '--artifact', dir]),
    ]);
    expect(withCi.code).toBe(2);
    expect(withCi.stderr).toContain('--ci is not taken for staging');
    expect(noCommit.code).toBe(2);
    expect(noCommit.stderr).toContain('--commit is required for staging');
    expect(await sandbox.ledger.getRelease(ENV, '1.0.0')).toBeUndefined();
  });

  it('a token that is missing, unknown or without Checks: read is REWIND_E_CI_AUTH naming the repository, records nothing and is never printed', async () => {
    const dir = await artifact('1.0.0');
    // Independent refusals, run side by side (each is a CLI start on a loaded machine).
    const [missing, forbidden, unknownCommit] = await Promise.all([
      cli(['release', 'register', ENV, '1.0.0', '--artifact', dir, '--commit', SHA['1.0.0']], null),
      cli(['release', 'register', ENV, '1.0.0', '--artifact', dir, '--commit', SHA['1.0.0'], '--json'], 'read-contents-only'),
      cli(['release', 'register', ENV, '1.0.0', '--artifact', dir, '--commit', 'f'.repeat(40)]),
    ]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('REWIND_E_CI_AUTH');
    expect(missing.stderr).toContain(`$${TOKEN_ENV}, which is not set`);
    expect(forbidden.code).toBe(3);
    expect(JSON.parse(forbidden.stdout).error).toMatchObject({ code: 'REWIND_E_CI_AUTH', repository: REPO, commit: SHA['1.0.0'], status: 403 });
    expect(unknownCommit.code).toBe(3);
    expect(unknownCommit.stderr).toContain('REWIND_E_CI_NOT_FOUND');
    expect(unknownCommit.stderr).toContain(`${REPO}@${'f'.repeat(40)}`);
    for (const r of [missing, forbidden, unknownCommit]) noToken(r);
    expect(await sandbox.ledger.getRelease(ENV, '1.0.0')).toBeUndefined();
    expect(await ciEvents()).toEqual([]);
  });

  it('register records passed, failed or unknown (pending) from the check runs, with the evidence', async () => {
    const passed = await register('1.0.0');
    expect(passed.code, passed.stderr).toBe(0);
    noToken(passed);
    const body = JSON.parse(passed.stdout);
    expect(body.release).toMatchObject({ version: '1.0.0', ci: 'passed', commit: SHA['1.0.0'] });
    expect(body.ciEvidence).toMatchObject({ provider: 'github', repository: REPO, commit: SHA['1.0.0'], verdict: 'passed', missing: [] });
    expect(body.ciEvidence.checks.map((c: { name: string; conclusion: string; id: number }) => [c.name, c.conclusion, typeof c.id])).toEqual([['lint', 'neutral', 'number'], ['test', 'success', 'number']]);
    const [other, failedRun, pendingRun] = await Promise.all([register('1.1.0'), register('1.2.0'), register('2.0.0')]);
    expect(other.code, other.stderr).toBe(0);
    const failed = JSON.parse(failedRun.stdout);
    expect(failed.release.ci).toBe('failed');
    expect(failed.ciEvidence.summary).toBe('1 of 2 checks failed: test (failure)');
    const pending = JSON.parse(pendingRun.stdout);
    expect(pending.release.ci).toBe('unknown');
    expect(pending.ciEvidence.summary).toContain('pending: test (in_progress)');
    expect((await sandbox.ledger.getRelease(ENV, '2.0.0'))!.ci).toBe('unknown');
    const events = await ciEvents();
    expect(events.map((e) => [e.toVersion, e.data.stage, e.data.verdict]).sort()).toEqual([['1.0.0', 'register', 'passed'], ['1.1.0', 'register', 'passed'], ['1.2.0', 'register', 'failed'], ['2.0.0', 'register', 'unknown']]);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
  });

  it('deploy asks GitHub again: a pending release is refused until its checks pass, a failed one always', async () => {
    // The two good releases go live in-process (the same services, the same gate), to spare CLI starts.
    for (const v of ['1.0.0', '1.1.0']) expect((await deploy(sandbox.services, ENV, v)).ok).toBe(true);
    const pending = await cli(['deploy', ENV, '2.0.0']);
    expect(pending.code).toBe(3);
    expect(pending.stderr).toContain('REWIND_E_RELEASE_UNTESTED');
    expect(pending.stderr).toContain('pending: test (in_progress)');
    expect(sandbox.served().version).toBe('1.1.0');
    const failed = await cli(['deploy', ENV, '1.2.0']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('1 of 2 checks failed: test (failure)');
    // The workflow finished: the same release now deploys, and the deploy's own check is on the record.
    github.setCommit(REPO, SHA['2.0.0'], { runs: [{ name: 'test', status: 'completed', conclusion: 'success' }], statuses: [{ context: 'ci/jenkins', state: 'success' }] });
    const deployed = await cli(['deploy', ENV, '2.0.0']);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(sandbox.served().version).toBe('2.0.0');
    const [op] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect((await ciEvents()).at(-1)).toMatchObject({ operationId: op!.id, toVersion: '2.0.0', data: { stage: 'deploy', verdict: 'passed' } });
  });

  it('a rollback to the LKG confirms it passed CI (seed 003) and the incident report says so', async () => {
    const dry = await cli(['rollback', ENV, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`CI of 1.1.0 (github ${REPO}@${SHA['1.1.0'].slice(0, 12)}`);
    const rolled = await cli(['rollback', ENV, '--yes', '--reason', 'checkout errors', '--json']);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(sandbox.served().version).toBe('1.1.0');
    const [op] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect((await ciEvents()).at(-1)).toMatchObject({ operationId: op!.id, toVersion: '1.1.0', data: { stage: 'rollback', verdict: 'passed' } });
    expect((await ciEvents()).at(-1)!.data.allowedUntested).toBeUndefined();
    // Seed 003's post-rollback item, ticked by rewind from that evidence.
    const checklist = JSON.parse((await cli(['checklist', 'show', op!.id, '--json'])).stdout) as { items: { id: string; state: string; by: string | null; evidence: string }[] };
    expect(checklist.items.find((i) => i.id === 'ci-passed')).toMatchObject({ state: 'done', by: 'rewind', evidence: expect.stringContaining(`1.1.0 passed CI on github ${REPO}@${SHA['1.1.0']}`) });
  });

  it('a rollback to a release whose checks now fail is refused without --allow-untested, even though it registered as passed', async () => {
    // A re-run of 1.0.0's test job failed: the newest run of a name is the one that counts.
    github.setCommit(REPO, SHA['1.0.0'], { runs: [...PASSING.runs, { name: 'test', status: 'completed', conclusion: 'failure' }] });
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))!.ci).toBe('passed');
    const operations = (await sandbox.ledger.listOperations(ENV, { limit: 100 })).length;
    const refused = await cli(['rollback', ENV, '--to', '1.0.0', '--yes', '--json']);
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'REWIND_E_RELEASE_UNTESTED', version: '1.0.0', ci: 'failed', repository: REPO, commit: SHA['1.0.0'], failing: ['test'] });
    expect(sandbox.served().version).toBe('1.1.0');
    expect((await sandbox.ledger.listOperations(ENV, { limit: 100 })).length).toBe(operations);
  });

  it('a GitHub outage during a rollback is REWIND_E_CI_UNAVAILABLE after the bounded retries, and nothing changes', async () => {
    const before = github.requests.length;
    github.failNext(2, 503);
    const down = await cli(['rollback', ENV, '--to', '1.0.0', '--yes', '--allow-untested']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('REWIND_E_CI_UNAVAILABLE');
    expect(down.stderr).toContain('HTTP 503');
    expect(github.requests.length - before).toBe(2);
    expect(sandbox.served().version).toBe('1.1.0');
  });

  it('with --allow-untested the rollback runs, and the override is audited and in the incident report', async () => {
    const rolled = await cli(['rollback', ENV, '--to', '1.0.0', '--yes', '--allow-untested', '--reason', 'known-bad data in 1.1.0']);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stdout).toContain(`note: CI of 1.0.0 on github ${REPO}@${SHA['1.0.0'].slice(0, 12)}: failed — 1 of 2 checks failed: test (failure); let through by --allow-untested (audited)`);
    expect(sandbox.served().version).toBe('1.0.0');
    const [op] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    const audit = (await ciEvents()).at(-1)!;
    expect(audit).toMatchObject({ operationId: op!.id, toVersion: '1.0.0', actor: expect.any(String), data: { stage: 'rollback', verdict: 'failed', allowedUntested: true, commit: SHA['1.0.0'] } });
    expect((op!.plan as { ci?: { verdict: string; allowedUntested?: boolean } }).ci).toMatchObject({ verdict: 'failed', allowedUntested: true });
    const incident = String((await sandbox.ledger.findIncidentByOperation(op!.id))!.id);
    const [first, second, checklistRun] = await Promise.all([cli(['incident', 'report', incident]), cli(['incident', 'report', incident]), cli(['checklist', 'show', op!.id, '--json'])]);
    const checklist = JSON.parse(checklistRun.stdout) as { items: { id: string; state: string; evidence: string }[]; open: string[] };
    expect(checklist.items.find((i) => i.id === 'ci-passed')).toMatchObject({ state: 'open', evidence: expect.stringContaining('--allow-untested let it through') });
    expect(checklist.open).toContain('ci-passed');
    expect(first.code, first.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout).toMatch(new RegExp(`- CI of 1\\.1\\.0: PASSED on github ${REPO}@${SHA['1.1.0']}, read \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z \\(lint neutral #\\d+, test success #\\d+\\)`));
    expect(first.stdout).toContain(`- CI of 1.0.0: FAILED on github ${REPO}@${SHA['1.0.0']}`);
    expect(first.stdout).toContain('UNTESTED: let through by --allow-untested');
    noToken(first);
  });
});
