import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usage as deployUsage } from '../src/cli/commands/deploy-command.js';
import { usage as releaseUsage } from '../src/cli/commands/release-command.js';
import { usage as rollbackUsage } from '../src/cli/commands/rollback-command.js';
import { parseVersion } from '../src/util/semver.js';
import { packageRoot } from '../src/util/package-root.js';
import { CLI, collect, type CliResult } from './support/sandbox.js';

// examples/github-actions/: the two workflows hold the structure docs/ci.md promises (triggers,
// concurrency per environment, required inputs, read-only permissions, the rollback tag), the tag
// script says what each tag asks for, and every `npx rewind …` line in them is run, as the shell
// would expand it, by the built CLI against a throwaway config: none may be a usage error.

const DIR = join(packageRoot(), 'examples', 'github-actions');
type Step = { name?: string; id?: string; if?: string; run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { needs?: string | string[]; if?: string; environment?: string; concurrency?: { group: string; 'cancel-in-progress': boolean }; env?: Record<string, string>; steps: Step[]; outputs?: Record<string, string> };
type Workflow = { on: Record<string, any>; permissions: Record<string, string>; env?: Record<string, string>; defaults?: { run: { shell: string } }; jobs: Record<string, Job> };
const read = (file: string) => load(readFileSync(join(DIR, file), 'utf8')) as Workflow;
const { parseReleaseTag } = (await import(join(DIR, 'rewind-tag.mjs'))) as { parseReleaseTag: (tag: string) => { action: string; version: string } };

/** The `npx rewind …` command lines of a workflow's run blocks, each up to a pipe. */
function rewindLines(workflow: Workflow): string[] {
  return Object.values(workflow.jobs)
    .flatMap((job) => job.steps)
    .flatMap((step) => (step.run ?? '').split('\n'))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npx rewind '))
    .map((line) => line.replace(/\s*\|.*$/, ''));
}

/** A shell's expansion of one simple command line: "…" keeps one word, an unquoted $VAR splits on spaces. */
function shellWords(line: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  let word: string | null = null;
  const expand = (name: string) => {
    if (!(name in vars)) throw new Error(`no value for $${name} in: ${line}`);
    return vars[name]!;
  };
  for (let i = 0; i < line.length; ) {
    const c = line[i]!;
    if (c === ' ') {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      word = (word ?? '') + line.slice(i + 1, end).replace(/\$([A-Z_][A-Z0-9_]*)/g, (_, n: string) => expand(n));
      i = end + 1;
    } else if (c === '$') {
      const name = /^\$([A-Z_][A-Z0-9_]*)/.exec(line.slice(i))![1]!;
      const parts = expand(name).split(' ').filter(Boolean);
      if (parts.length) {
        word = (word ?? '') + parts[0];
        for (const part of parts.slice(1)) (words.push(word!), (word = part));
      }
      i += name.length + 1;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

const flagsOf = (usage: string) => new Set([...usage.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]));

describe('examples/github-actions', () => {
  const deploy = read('deploy.yml');
  const rollback = read('rollback.yml');

  it('deploy.yml runs on pushed v* tags only, reads nothing it does not need, and queues per environment', () => {
    expect(Object.keys(deploy.on)).toEqual(['push']);
    expect(deploy.on.push).toEqual({ tags: ['v*'] });
    expect(deploy.permissions).toEqual({ contents: 'read', checks: 'read', statuses: 'read' });
    expect(deploy.defaults?.run.shell).toBe('bash');
    const { plan, test, deploy: ship, rollback: back } = deploy.jobs;
    expect(plan!.steps.at(-1)!.run).toBe('node examples/github-actions/rewind-tag.mjs "$GITHUB_REF_NAME"');
    expect(plan!.outputs).toEqual({ action: '${{ steps.tag.outputs.action }}', version: '${{ steps.tag.outputs.version }}' });
    expect(test!.if).toBe("needs.plan.outputs.action == 'deploy'");
    expect(ship!.needs).toEqual(['plan', 'test']);
    expect(ship!.if).toBe("needs.plan.outputs.action == 'deploy'");
    expect(back!.needs).toBe('plan');
    expect(back!.if).toBe("needs.plan.outputs.action == 'rollback'");
    for (const job of [ship!, back!]) {
      expect(job.environment).toBe('production');
      expect(job.concurrency).toEqual({ group: 'rewind-production', 'cancel-in-progress': false });
    }
    // Build nothing on a rollback tag: no build step in the rollback job.
    expect(back!.steps.some((s) => /npm run build/.test(s.run ?? ''))).toBe(false);
    // The JSON results are kept, even when rewind failed.
    for (const [job, file] of [[ship!, 'deploy.json'], [back!, 'rollback.json']] as const) {
      const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
      expect(upload.if).toBe('always()');
      expect(String(upload.with!.path)).toContain(file);
    }
    expect(deploy.env).toEqual({ REWIND_CI_GATE: 'false' });
  });

  it('rollback.yml is dispatched by hand with a required reason, an optional version, and the environment protection rules', () => {
    expect(Object.keys(rollback.on)).toEqual(['workflow_dispatch']);
    const inputs = rollback.on.workflow_dispatch.inputs;
    expect(inputs.reason).toMatchObject({ type: 'string', required: true });
    expect(inputs.version).toMatchObject({ type: 'string', required: false });
    expect(inputs.environment).toMatchObject({ type: 'choice', required: true, default: 'production' });
    expect(inputs.allow_untested).toMatchObject({ type: 'boolean', default: false });
    expect(rollback.permissions).toEqual({ contents: 'read', checks: 'read', statuses: 'read' });
    const job = rollback.jobs.rollback!;
    expect(job.environment).toBe('${{ inputs.environment }}');
    expect(job.concurrency).toEqual({ group: 'rewind-${{ inputs.environment }}', 'cancel-in-progress': false });
    // Inputs reach the shell through env only, never spliced into a script (no injection through a reason).
    for (const step of job.steps) expect(step.run ?? '').not.toMatch(/\$\{\{/);
    for (const step of deploy.jobs.rollback!.steps.concat(deploy.jobs.deploy!.steps)) expect(step.run ?? '').not.toMatch(/\$\{\{/);
  });

  it('the tag script: vX.Y.Z deploys, vX.Y.Z-rollback rolls back to X.Y.Z, anything else is refused; its versions are rewind versions', () => {
    const cases: [string, string, string][] = [
      ['v1.4.0', 'deploy', '1.4.0'],
      ['v1.4.0-rc.2', 'deploy', '1.4.0-rc.2'],
      ['v2.0.0+build.7', 'deploy', '2.0.0+build.7'],
      ['v1.3.2-rollback', 'rollback', '1.3.2'],
      ['refs/tags/v1.3.2-rollback', 'rollback', '1.3.2'],
      ['v1.3.2-rc.1-rollback', 'rollback', '1.3.2-rc.1'],
    ];
    for (const [tag, action, version] of cases) {
      expect(parseReleaseTag(tag), tag).toEqual({ action, version });
      expect(parseVersion(version)).toBe(version);
    }
    for (const bad of ['1.4.0', 'vnext', 'v1.4', 'v01.4.0', 'v1.3.2-rollback.1', 'v1.3.2-rollback-rollback', 'v1.3.2-rollback+b1', '']) expect(() => parseReleaseTag(bad), bad).toThrow();
    // As the workflow runs it: outputs appended to $GITHUB_OUTPUT, a bad tag fails the job.
    const out = join(tmpdir(), `gh-output-${process.pid}`);
    execFileSync(process.execPath, [join(DIR, 'rewind-tag.mjs'), 'v1.3.2-rollback'], { env: { ...process.env, GITHUB_OUTPUT: out } });
    expect(readFileSync(out, 'utf8')).toBe('action=rollback\nversion=1.3.2\n');
    rmSync(out, { force: true });
    expect(() => execFileSync(process.execPath, [join(DIR, 'rewind-tag.mjs'), 'latest'], { stdio: 'pipe' })).toThrow();
  });

  it('every rewind command line uses only flags its command documents in --help', () => {
    const lines = [...rewindLines(deploy), ...rewindLines(rollback)];
    expect(lines.length).toBe(7);
    const known: Record<string, Set<string>> = { 'release register': flagsOf(releaseUsage), deploy: flagsOf(deployUsage), rollback: flagsOf(rollbackUsage) };
    for (const line of lines) {
      const [, , first, second] = line.split(/\s+/);
      const command = first === 'release' ? `release ${second}` : first!;
      expect(known[command], line).toBeDefined();
      for (const flag of line.match(/--[a-z][a-z-]*/g) ?? []) expect(known[command]!.has(flag), `${flag} in: ${line}`).toBe(true);
    }
  });

  describe('run by the built CLI, as the shell expands them', () => {
    let root: string;
    const vars = (extra: Record<string, string>) => ({ GITHUB_SHA: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', GITHUB_ACTOR: 'octocat', GITHUB_RUN_ID: '4242', REWIND_ENV: 'production', REASON: 'checkout 500s; see #123', UNTESTED: '', ...extra });
    const run = (line: string, values: Record<string, string>): Promise<CliResult> => {
      const [npx, rewind, ...args] = shellWords(line, vars(values));
      expect([npx, rewind]).toEqual(['npx', 'rewind']);
      return collect(spawn(process.execPath, [CLI, ...args, '--config', join(root, 'rewind.yaml')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }), 60_000);
    };
    const ok = (result: CliResult) => {
      expect(result.stderr).not.toContain('REWIND_E_USAGE');
      expect(result.code, result.stderr).toBe(0);
    };

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'rewind-gha-'));
      await writeFile(
        join(root, 'rewind.yaml'),
        `ledger: ${join(root, 'rewind.db')}\nlog: { file: ${join(root, 'events.log')} }\nenvironments:\n  production:\n    target:\n      type: releases\n      path: ${join(root, 'srv')}\n      runtime: { type: command, start: ["true"], reload: ["true"], timeoutMs: 10000 }\n    deploy: { minFreeMb: 1 }\n`,
      );
      for (const version of ['1.4.0', '1.5.0']) {
        await mkdir(join(root, 'dist', version), { recursive: true });
        await writeFile(join(root, 'dist', version, 'app.js'), `// ${version}\n`);
        await mkdir(join(root, 'release'), { recursive: true });
        execFileSync('tar', ['-czf', join(root, 'release', `app-${version}.tgz`), '-C', join(root, 'dist', version), '.']);
      }
    });
    afterAll(async () => {
      if (root) await rm(root, { recursive: true, force: true });
    });

    it('deploy.yml: register (with the CI result the job knows) and deploy, then the rollback tag; rollback.yml: plan, LKG, named', async () => {
      const [register, ship] = rewindLines(deploy);
      const [tagRollback] = rewindLines(deploy).slice(2);
      const [planNamed, planLkg, lkg, named] = rewindLines(rollback);
      for (const version of ['1.4.0', '1.5.0']) {
        const registered = await run(register!, { VERSION: version, CI_RESULT: '--ci passed' });
        ok(registered);
        expect(JSON.parse(registered.stdout).release).toMatchObject({ version, ci: 'passed', commit: vars({}).GITHUB_SHA });
        ok(await run(ship!, { VERSION: version }));
      }
      ok(await run(planNamed!, { VERSION: '1.4.0' }));
      ok(await run(planLkg!, { UNTESTED: '--allow-untested' }));
      const back = await run(lkg!, {});
      ok(back);
      expect(back.stdout).toContain('"event":"rollback_complete"');
      expect(back.stdout).toContain('checkout 500s; see #123 (by octocat, run 4242)');
      ok(await run(named!, { VERSION: '1.5.0', UNTESTED: '--allow-untested' }));
      const tagged = await run(tagRollback!, { VERSION: '1.4.0', REASON: 'tag v1.4.0-rollback pushed by octocat: checkout 500s' });
      ok(tagged);
      expect(tagged.stdout).toContain('"to":"1.4.0"');
    });
  });
});
