import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/rewind-cli.js';
import * as rollbackCommand from '../src/cli/commands/rollback-command.js';
import { sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { ERROR_REGISTRY, type ErrorCode } from '../src/errors/error-registry.js';

// Bad input must be refused with its coded error, its exit code and a message naming what is wrong,
// and must leave the ledger and the file system exactly as they were.

const ENV = 'staging';
const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

/** The commands `rewind --help` lists (so commands added later are covered too). */
async function listedCommands(): Promise<string[]> {
  const { stdout } = await cli(['--help']);
  const section = stdout.split('\ncommands:\n')[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*) {2,}\S/gm)].map((m) => m[1]!);
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): PassThrough & { text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

const cliEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, REWIND_ACTOR: 'tester@bad-input' });

/** Runs the CLI in-process, as `rewind <argv>`. */
async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdout, stderr, env: { ...cliEnv(), ...env } });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Runs the real binary, stdin not a terminal. */
function spawnCli(argv: string[], cwd?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv(), cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The registry hint of `code`, its <env> and <version> filled in or not (the error fills in what it knows). */
function hintPattern(code: ErrorCode, before = 'hint: ', after = ''): RegExp {
  const escaped = ERROR_REGISTRY[code].hint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${before}${escaped.replace(/<(env|version)>/g, '(?:<$1>|[^\\s`]+)')}${after}`);
}

function expectRefused(result: Result, code: ErrorCode, ...mentions: string[]): void {
  expect(result.code, `${result.stderr}`).toBe(ERROR_REGISTRY[code].exitCode);
  expect(result.stderr).toContain(`error ${code}: `);
  expect(result.stderr).toMatch(hintPattern(code));
  for (const mention of mentions) expect(result.stderr).toContain(mention);
}

describe('bad input is refused with a coded error and changes nothing', () => {
  let root: string;
  let config: string;
  let ledgerFile: string;
  let artifact: string;
  let otherArtifact: string;
  const configs: Record<string, string> = {};

  /** rewind <argv> --config <the valid config>. */
  const run = (...argv: string[]) => cli([...argv, '--config', config]);

  /** Every ledger table, row by row. */
  function ledgerDump(): Record<string, unknown[]> {
    const db = new Database(ledgerFile, { fileMustExist: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
      return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
    } finally {
      db.close();
    }
  }

  /** Every file and symlink under the sandbox (the ledger files themselves are compared by content above). */
  function filesDump(dir = root): Record<string, string> {
    const out: Record<string, string> = {};
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(root, full);
      if (/^rewind\.db(-wal|-shm|-journal)?$/.test(rel)) continue;
      if (entry.isSymbolicLink()) out[rel] = `-> ${readlinkSync(full)}`;
      else if (entry.isDirectory()) Object.assign(out, { [`${rel}/`]: 'dir' }, filesDump(full));
      else out[rel] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
    return out;
  }

  const snapshot = () => ({ ledger: ledgerDump(), files: filesDump() });

  /** Runs `attempt` and asserts the ledger and files are the same afterwards. */
  async function unchangedBy<T>(attempt: () => Promise<T>): Promise<T> {
    const before = snapshot();
    const result = await attempt();
    expect(snapshot()).toEqual(before);
    return result;
  }

  const releases = () => ledgerDump().releases as { version: string; digest: string; artifact: string; state: string; commit_sha: string | null; ci: string }[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-bad-input-'));
    config = join(root, 'rewind.yaml');
    ledgerFile = join(root, 'rewind.db');
    // Port 9 (discard) is never probed: no bad-input path gets as far as a health check.
    const yaml = sampleConfigYaml({ root, env: ENV, port: 9, appName: 'rw-bad-input' });
    await writeFile(config, yaml);
    artifact = join(root, 'artifacts', 'app-1.0.0');
    await mkdir(join(artifact, 'lib'), { recursive: true });
    await writeFile(join(artifact, 'server.js'), 'console.log("1.0.0");\n');
    await writeFile(join(artifact, 'lib', 'util.js'), 'module.exports = 1;\n');
    otherArtifact = join(root, 'artifacts', 'app-1.0.0-rebuilt');
    await cp(artifact, otherArtifact, { recursive: true });
    await writeFile(join(otherArtifact, 'server.js'), 'console.log("1.0.0, rebuilt");\n');

    configs.malformed = join(root, 'malformed.yaml');
    await writeFile(configs.malformed, yaml.replace('    deploy:\n', '    deploy: [unclosed\n'));
    configs.unknownKey = join(root, 'unknown-key.yaml');
    await writeFile(configs.unknownKey, yaml.replace('      keep: 5\n', '      keep: 5\n      bogus: true\n'));
    configs.missingVar = join(root, 'missing-var.yaml');
    await writeFile(configs.missingVar, yaml.replace('      url: http://', '      headers:\n        x-token: ${REWIND_TEST_UNSET_TOKEN}\n      url: http://'));

    const registered = await run('release', 'register', ENV, '1.0.0', '--artifact', artifact, '--commit', 'abcdef1234567', '--ci', 'passed');
    expect(registered, registered.stderr).toMatchObject({ code: 0 });
    expect(registered.stdout).toMatch(/^registered staging 1\.0\.0 \(#1\) sha256:[0-9a-f]{64}\n$/);
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  it('the snapshot sees the registered release, the audit event and the log line (so it can tell a change)', () => {
    const { ledger, files } = snapshot();
    expect(ledger.releases).toHaveLength(1);
    expect(ledger.events).toEqual([expect.objectContaining({ event: 'release_registered', to_version: '1.0.0' })]);
    expect(files['rewind-events.log']).toBeDefined();
    expect(readFileSync(join(root, 'rewind-events.log'), 'utf8')).toContain('"event":"release_registered"');
  });

  describe('config', () => {
    it('malformed YAML: REWIND_E_CONFIG_YAML with the line, for config check and for a deploy', async () => {
      const check = await unchangedBy(() => cli(['config', 'check', '--config', configs.malformed!]));
      expectRefused(check, 'REWIND_E_CONFIG_YAML', 'not valid YAML (line ');
      const line = Number(/\(line (\d+),/.exec(check.stderr)?.[1]);
      const badLine = readFileSync(configs.malformed!, 'utf8').split('\n').findIndex((l) => l.includes('[unclosed')) + 1;
      expect(line).toBeGreaterThanOrEqual(badLine);
      const deploy = await unchangedBy(() => cli(['deploy', ENV, '1.0.0', '--config', configs.malformed!]));
      expectRefused(deploy, 'REWIND_E_CONFIG_YAML');
    });

    it('unknown key: REWIND_E_CONFIG_INVALID naming the dotted path', async () => {
      const result = await unchangedBy(() => cli(['deploy', ENV, '1.0.0', '--config', configs.unknownKey!]));
      expectRefused(result, 'REWIND_E_CONFIG_INVALID', `environments.${ENV}.target.bogus: unknown key`);
    });

    it('missing environment variable: REWIND_E_CONFIG_ENV_MISSING naming the path and the variable', async () => {
      const result = await unchangedBy(() => cli(['release', 'register', ENV, '1.0.1', '--artifact', artifact, '--config', configs.missingVar!]));
      expectRefused(result, 'REWIND_E_CONFIG_ENV_MISSING', `environments.${ENV}.health.headers.x-token`, 'REWIND_TEST_UNSET_TOKEN');
      expect(releases().map((r) => r.version)).toEqual(['1.0.0']);
    });

    it('a config file that does not exist: REWIND_E_CONFIG_NOT_FOUND naming it', async () => {
      const result = await unchangedBy(() => cli(['status', ENV, '--config', join(root, 'nope.yaml')]));
      expectRefused(result, 'REWIND_E_CONFIG_NOT_FOUND', join(root, 'nope.yaml'));
    });
  });

  describe('versions', () => {
    it.each(['1.2', '1.2.3; rm -rf /', '../1.0.0', '01.0.0', '1.0.0 ', 'v'])('release register refuses %j with REWIND_E_BAD_VERSION', async (version) => {
      const result = await unchangedBy(() => run('release', 'register', ENV, version, '--artifact', artifact));
      expectRefused(result, 'REWIND_E_BAD_VERSION', `version ${JSON.stringify(version)} is not a SemVer version`);
    });

    it('release register with an empty version: REWIND_E_USAGE (the version is missing)', async () => {
      const result = await unchangedBy(() => run('release', 'register', ENV, '', '--artifact', artifact));
      expectRefused(result, 'REWIND_E_USAGE', 'release register needs a <version>');
    });

    it.each(['1.2', '1.2.3; rm -rf /', '../1.0.0', 'latest', ''])('deploy refuses %j with REWIND_E_BAD_VERSION', async (version) => {
      const result = await unchangedBy(() => run('deploy', ENV, version));
      expectRefused(result, 'REWIND_E_BAD_VERSION', JSON.stringify(version));
    });

    it('rollback --to refuses a bad version, naming --to', async () => {
      const result = await unchangedBy(() => run('rollback', ENV, '--yes', '--to', '1.0'));
      expectRefused(result, 'REWIND_E_BAD_VERSION', '--to "1.0"');
    });

    it('deploy of a version that was never registered: REWIND_E_RELEASE_NOT_FOUND', async () => {
      const result = await unchangedBy(() => run('deploy', ENV, '9.9.9'));
      expectRefused(result, 'REWIND_E_RELEASE_NOT_FOUND', 'release 9.9.9 is not registered for staging');
    });
  });

  describe('release register', () => {
    it('a missing artifact: REWIND_E_ARTIFACT_NOT_FOUND naming the path', async () => {
      const result = await unchangedBy(() => run('release', 'register', ENV, '1.0.1', '--artifact', '/nope'));
      expectRefused(result, 'REWIND_E_ARTIFACT_NOT_FOUND', 'artifact /nope does not exist');
    });

    it('an artifact that is a plain file but not a tarball: REWIND_E_ARTIFACT_NOT_FOUND', async () => {
      const result = await unchangedBy(() => run('release', 'register', ENV, '1.0.1', '--artifact', join(artifact, 'server.js')));
      expectRefused(result, 'REWIND_E_ARTIFACT_NOT_FOUND', 'neither a directory nor a .tgz');
    });

    it('no --artifact at all: REWIND_E_USAGE naming --artifact', async () => {
      const result = await unchangedBy(() => run('release', 'register', ENV, '1.0.1'));
      expectRefused(result, 'REWIND_E_USAGE', '--artifact');
    });

    it('--ci maybe: REWIND_E_USAGE naming --ci and the value', async () => {
      const result = await unchangedBy(() => run('release', 'register', ENV, '1.0.1', '--artifact', artifact, '--ci', 'maybe'));
      expectRefused(result, 'REWIND_E_USAGE', '--ci must be one of passed, failed, unknown', '"maybe"');
    });

    it.each(['xyz', 'abc12', 'abcdef1; rm -rf /', 'g'.repeat(40)])('--commit %j: REWIND_E_USAGE naming --commit', async (commit) => {
      const result = await unchangedBy(() => run('release', 'register', ENV, '1.0.1', '--artifact', artifact, '--commit', commit));
      expectRefused(result, 'REWIND_E_USAGE', '--commit must be a git SHA', JSON.stringify(commit));
    });

    it('the same version with a different artifact: REWIND_E_RELEASE_DIGEST_CONFLICT, the original row kept', async () => {
      const [original] = releases();
      const result = await unchangedBy(() => run('release', 'register', ENV, '1.0.0', '--artifact', otherArtifact, '--commit', 'fedcba9876543'));
      expectRefused(result, 'REWIND_E_RELEASE_DIGEST_CONFLICT', `${ENV} 1.0.0 is registered with ${original!.digest}`, otherArtifact);
      expect(releases()).toEqual([original]);
      expect(original).toMatchObject({ version: '1.0.0', artifact, commit_sha: 'abcdef1234567', ci: 'passed', state: 'registered' });
    });

    it('a leading v does not make a different release: v1.0.0 with another artifact conflicts too', async () => {
      const result = await unchangedBy(() => run('release', 'register', ENV, 'v1.0.0', '--artifact', otherArtifact));
      expectRefused(result, 'REWIND_E_RELEASE_DIGEST_CONFLICT');
    });

    it('the same version with the same artifact again is a successful no-op', async () => {
      const [original] = releases();
      const result = await unchangedBy(() => run('release', 'register', ENV, 'v1.0.0', '--artifact', artifact, '--commit', 'abcdef1234567', '--ci', 'passed', '--json'));
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      const stored = join(root, 'rewind-artifacts', 'sha256', original!.digest.replace('sha256:', ''));
      expect(JSON.parse(result.stdout)).toMatchObject({ created: false, copied: false, stored, release: { version: '1.0.0', digest: original!.digest, seq: 1 } });
      // An identical copy of the tree elsewhere has the same digest: also a no-op.
      const copy = join(root, 'artifacts', 'copy-of-1.0.0');
      await cp(artifact, copy, { recursive: true });
      const again = await unchangedBy(() => run('release', 'register', ENV, '1.0.0', '--artifact', copy));
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(`${ENV} 1.0.0 (#1) already registered with this digest (stored at ${stored}); nothing to do\n`);
      await rm(copy, { recursive: true });
    });
  });

  describe('arguments', () => {
    it('an unknown environment: REWIND_E_UNKNOWN_ENV naming it and the known ones', async () => {
      for (const argv of [
        ['release', 'register', 'prod', '1.0.0', '--artifact', artifact],
        ['deploy', 'prod', '1.0.0'],
        ['rollback', 'prod', '--yes'],
        ['status', 'prod'],
        ['history', 'prod'],
        ['release', 'list', 'prod'],
        ['unlock', 'prod', '--force', '--reason', 'test'],
      ]) {
        const result = await unchangedBy(() => run(...argv));
        expectRefused(result, 'REWIND_E_UNKNOWN_ENV', 'environment "prod" is not defined', `known: ${ENV}`);
      }
    });

    it('an unknown command: REWIND_E_USAGE naming it and listing the commands', async () => {
      const result = await unchangedBy(() => run('frobnicate', ENV));
      expectRefused(result, 'REWIND_E_USAGE', 'unknown command "frobnicate"', `commands: ${(await listedCommands()).join(', ')}`);
    });

    it('an unknown flag: REWIND_E_USAGE naming the flag and the usage', async () => {
      const result = await unchangedBy(() => run('deploy', ENV, '1.0.0', '--frobnicate'));
      expectRefused(result, 'REWIND_E_USAGE', '--frobnicate', 'usage: rewind deploy [<env>] <version>');
    });

    it('too many or too few arguments: REWIND_E_USAGE', async () => {
      expectRefused(await unchangedBy(() => run('deploy', ENV)), 'REWIND_E_USAGE', `which version? "${ENV}" is an environment in rewind.yaml`);
      expectRefused(await unchangedBy(() => run('deploy', ENV, '1.0.0', 'extra')), 'REWIND_E_USAGE', 'expected 1–2 argument(s), got 3');
      expectRefused(await unchangedBy(() => run('status', ENV, 'extra')), 'REWIND_E_USAGE', 'expected 0–1 argument(s), got 2');
      expectRefused(await unchangedBy(() => run('config', 'frobnicate')), 'REWIND_E_USAGE', 'unknown subcommand config "frobnicate"');
      expectRefused(await unchangedBy(() => run('release', 'frobnicate', ENV)), 'REWIND_E_USAGE', 'unknown subcommand release "frobnicate"');
    });

    it('unlock without --force: REWIND_E_USAGE, and the lock table untouched', async () => {
      const result = await unchangedBy(() => run('unlock', ENV, '--reason', 'runner died'));
      expectRefused(result, 'REWIND_E_USAGE', 'unlock needs --force', 'usage: rewind unlock');
    });

    it('unlock --force without a reason: REWIND_E_USAGE naming --reason', async () => {
      const result = await unchangedBy(() => run('unlock', ENV, '--force'));
      expectRefused(result, 'REWIND_E_USAGE', '--reason');
    });

    it.each(['abc', '0', '-1', '1.5', '10001'])('history --limit %j: REWIND_E_USAGE naming --limit', async (limit) => {
      const result = await unchangedBy(() => run('history', ENV, `--limit=${limit}`));
      expectRefused(result, 'REWIND_E_USAGE', '--limit must be an integer from 1 to 10000', JSON.stringify(limit));
    });
  });

  describe('rollback', () => {
    it('without --yes and with stdin not a terminal: REWIND_E_CONFIRM_REQUIRED (in-process)', async () => {
      const stdout = capture();
      const stderr = capture();
      const stdin = Object.assign(Readable.from([]), { isTTY: false });
      const before = snapshot();
      const attempt = rollbackCommand.run([ENV, '--config', config], { stdout, stderr, env: cliEnv() }, stdin);
      await expect(attempt).rejects.toMatchObject({ code: 'REWIND_E_CONFIRM_REQUIRED', exitCode: 2, message: expect.stringContaining('pass --yes') });
      expect(stdout.text()).toBe('');
      expect(snapshot()).toEqual(before);
    });

    it('without --yes and with stdin not a terminal: exit 2 from the real binary', async () => {
      const result = await unchangedBy(() => spawnCli(['rollback', ENV, '--config', config]));
      expectRefused(result, 'REWIND_E_CONFIRM_REQUIRED', '--yes');
      expect(result.stdout).toBe('');
    });

    it('with nothing deployed: REWIND_E_NO_LKG (exit 4), no operation recorded and no lock left', async () => {
      const result = await unchangedBy(() => run('rollback', ENV, '--yes'));
      expectRefused(result, 'REWIND_E_NO_LKG', `no release of ${ENV} reached good`);
      const dry = await unchangedBy(() => run('rollback', ENV, '--dry-run'));
      expectRefused(dry, 'REWIND_E_NO_LKG');
      const { ledger } = snapshot();
      expect(ledger.operations).toEqual([]);
      expect(ledger.locks).toEqual([]);
    });

    it('--watch that is not a length, or without a watch source: REWIND_E_USAGE naming --watch', async () => {
      expectRefused(await unchangedBy(() => run('rollback', ENV, '--yes', '--watch', '10')), 'REWIND_E_USAGE', '--watch takes a length of at least 1 s');
      expectRefused(await unchangedBy(() => run('rollback', ENV, '--yes', '--watch', '500ms')), 'REWIND_E_USAGE', '--watch');
      expectRefused(await unchangedBy(() => run('rollback', ENV, '--yes', '--watch', '5s')), 'REWIND_E_USAGE', `--watch needs environments.${ENV}.watch`);
    });

    it('--to a release that never reached good: REWIND_E_RELEASE_NOT_GOOD', async () => {
      const result = await unchangedBy(() => run('rollback', ENV, '--yes', '--to', '1.0.0'));
      expectRefused(result, 'REWIND_E_RELEASE_NOT_GOOD', 'release 1.0.0 never reached good (state registered)');
    });
  });

  describe('--json', () => {
    it.each([
      [['deploy', ENV, '1.2'], 'REWIND_E_BAD_VERSION'],
      [['deploy', 'prod', '1.0.0'], 'REWIND_E_UNKNOWN_ENV'],
      [['frobnicate'], 'REWIND_E_USAGE'],
      [['release', 'register', ENV, '1.0.1', '--artifact', '/nope'], 'REWIND_E_ARTIFACT_NOT_FOUND'],
      [['rollback', ENV, '--yes'], 'REWIND_E_NO_LKG'],
    ] as const)('%j prints {"error":{"code":"%s",…}} on stdout', async (argv, code) => {
      const result = await unchangedBy(() => run(...argv, '--json'));
      expect(result.code).toBe(ERROR_REGISTRY[code].exitCode);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const parsed = JSON.parse(lines[0]!) as { error: { code: string; message: string; hint: string } };
      expect(parsed).toEqual({ error: expect.objectContaining({ code, hint: expect.stringMatching(hintPattern(code, '^', '$')) }) });
      expect(parsed.error.message.length).toBeGreaterThan(5);
      expect(result.stderr).toContain(`error ${code}`);
    });
  });

  // What the refusal says is what to do: the nearest name for a typo, the value to quote, the file
  // that was read, the environment in the hint, the key that is missing.
  describe('messages that say what to do', () => {
    const errorLine = (result: Result) => result.stderr.split('\n').find((line) => line.startsWith('error '))!;
    const hintLine = (result: Result) => result.stderr.split('\n').find((line) => line.startsWith('  hint: '))!.slice('  hint: '.length);

    beforeAll(async () => {
      const yaml = await readFile(config, 'utf8');
      configs.typo = join(root, 'typo.yaml');
      await writeFile(configs.typo, yaml.replace('      keep: 5\n', '      kep: 5\n').replace('version: 1\n', 'version: 1\nledgr: ./other.db\n'));
      configs.numbers = join(root, 'numbers.yaml');
      expect(yaml).toContain('          PORT: "9"\n');
      await writeFile(configs.numbers, yaml.replace('          PORT: "9"\n', '          PORT: 9\n          NODE_VERSION: 20.10\n          API_TOKEN: 123456789\n'));
      configs.smokeMissing = join(root, 'smoke-missing.yaml');
      await writeFile(configs.smokeMissing, yaml.replace('    deploy:\n', '    smoke:\n      suite: ./smoke/nope.yaml\n    deploy:\n'));
      await mkdir(join(root, 'smoke'), { recursive: true });
      await writeFile(join(root, 'smoke', 'broken.yaml'), 'name: broken\nsteps: [unclosed\n');
      configs.smokeBroken = join(root, 'smoke-broken.yaml');
      await writeFile(configs.smokeBroken, yaml.replace('    deploy:\n', '    smoke:\n      suite: ./smoke/broken.yaml\n    deploy:\n'));
      await mkdir(join(root, 'cwd'), { recursive: true });
      await writeFile(join(root, 'cwd', 'rewind.yaml'), 'environments: [unclosed\n');
    });

    it('an unknown option: the nearest of the command\'s own options, never Node\'s parser text', async () => {
      const result = await unchangedBy(() => run('deploy', ENV, '1.0.0', '--dryrun'));
      expectRefused(result, 'REWIND_E_USAGE');
      expect(errorLine(result)).toMatch(/^error REWIND_E_USAGE: unknown option --dryrun; did you mean --dry-run\? — usage: rewind deploy \[<env>\] <version> \[--dry-run\]/);
      const single = await unchangedBy(() => run('rollback', ENV, '-dry-run'));
      expect(errorLine(single)).toMatch(/^error REWIND_E_USAGE: unknown option -dry-run; did you mean --dry-run\? — usage: rewind rollback /);
      const json = await unchangedBy(() => run('deploy', ENV, '1.0.0', '--dryrun', '--json'));
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'REWIND_E_USAGE', argument: '--dryrun', suggestions: ['--dry-run'] });
    });

    it('every command refuses an unknown option in its own words: a suggestion only where the command has the option', async () => {
      for (const command of await listedCommands()) {
        const help = await cli([command, '--help']);
        const result = await unchangedBy(() => run(command, '--dryrun'));
        expect(result.code, `${command}: ${result.stderr}`).toBe(2);
        const line = errorLine(result);
        expect(line, command).toMatch(/^error REWIND_E_USAGE: unknown option --dryrun[;  ]/);
        expect(line.includes('did you mean --dry-run?'), `${command}: ${line}`).toBe(help.stdout.includes('--dry-run'));
        // Node's text ("Unknown option '--dryrun'. To specify a positional argument…", cut mid-quote) never shows.
        expect(result.stderr, command).not.toMatch(/To specify|Unknown option|'/);
      }
    });

    it('an option with a missing or misplaced value, and a flag given a value, say which and how to write it', async () => {
      expect(errorLine(await unchangedBy(() => cli(['history', ENV, '--config', config, '--limit'])))).toBe('error REWIND_E_USAGE: --limit needs a value — usage: rewind history [<env>] [--limit N] [--events] [--json]');
      expect(errorLine(await unchangedBy(() => run('history', ENV, '--limit')))).toMatch(/^error REWIND_E_USAGE: --limit needs a value, and the next argument --config looks like an option; to pass a value that starts with "-", write --limit=--config — /);
      expect(errorLine(await unchangedBy(() => run('unlock', ENV, '--reason', '--force')))).toBe(
        'error REWIND_E_USAGE: --reason needs a value, and the next argument --force looks like an option; to pass a value that starts with "-", write --reason=--force — usage: rewind unlock [<env>] --force --reason <text>',
      );
      expect(errorLine(await unchangedBy(() => run('rollback', ENV, '--yes=1')))).toMatch(/^error REWIND_E_USAGE: --yes takes no value \(got --yes=1\) — usage: rewind rollback /);
    });

    it('an unknown command or subcommand: did you mean …?', async () => {
      const command = await unchangedBy(() => run('deplyo', ENV, '1.0.0'));
      expectRefused(command, 'REWIND_E_USAGE', 'unknown command "deplyo"; did you mean deploy? (commands: init, config, release, deploy,');
      expect(errorLine(await unchangedBy(() => run('db', 'bakup', ENV)))).toMatch(/^error REWIND_E_USAGE: unknown subcommand db "bakup"; did you mean backup\? — usage: rewind db backup/);
      expect(errorLine(await unchangedBy(() => run('db', 'pitr', 'chek', ENV)))).toMatch(/^error REWIND_E_USAGE: unknown subcommand db pitr "chek"; did you mean check\? — usage: /);
      expect(errorLine(await unchangedBy(() => run('release', 'regster', ENV, '1.0.1')))).toMatch(/^error REWIND_E_USAGE: unknown subcommand release "regster"; did you mean register\? — usage: /);
      expect(errorLine(await unchangedBy(() => run('config', 'chekc')))).toMatch(/^error REWIND_E_USAGE: unknown subcommand config "chekc"; did you mean check\? — usage: /);
    });

    it('an unknown config key: the nearest key the schema knows at that path', async () => {
      const result = await unchangedBy(() => cli(['deploy', ENV, '1.0.0', '--config', configs.typo!]));
      expectRefused(result, 'REWIND_E_CONFIG_INVALID');
      expect(result.stderr).toContain(`\n  environments.${ENV}.target.kep: unknown key; did you mean keep?\n`);
      expect(result.stderr).toContain('\n  ledgr: unknown key; did you mean ledger?\n');
    });

    it('a number where a string is expected: quote it, as written (YAML 1.2 reads 20.10 as 20.1), a secret never shown', async () => {
      const result = await unchangedBy(() => cli(['release', 'register', ENV, '1.0.1', '--artifact', artifact, '--config', configs.numbers!]));
      expectRefused(result, 'REWIND_E_CONFIG_INVALID');
      const env = `environments.${ENV}.target.runtime.env`;
      expect(result.stderr).toContain(
        [
          'invalid config:',
          `  ${env}.PORT: expected a string, got the number 9: quote it ("9")`,
          `  ${env}.NODE_VERSION: expected a string, got a number (YAML reads 20.10 as 20.1): quote it ("20.10")`,
          `  ${env}.API_TOKEN: expected a string, got a number: quote the value`,
        ].join('\n'),
      );
      expect(result.stderr).not.toContain('123456789');
      expect(releases().map((r) => r.version)).toEqual(['1.0.0']);
    });

    it('malformed YAML names the file read: --config, $REWIND_CONFIG, or ./rewind.yaml', async () => {
      const given = await unchangedBy(() => cli(['status', ENV, '--config', configs.malformed!]));
      expectRefused(given, 'REWIND_E_CONFIG_YAML');
      expect(errorLine(given)).toMatch(new RegExp(`^error REWIND_E_CONFIG_YAML: ${configs.malformed!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML \\(line \\d+, column \\d+\\): `));
      const fromEnv = await unchangedBy(() => cli(['status', ENV], { REWIND_CONFIG: configs.malformed! }));
      expect(errorLine(fromEnv)).toBe(errorLine(given));
      const byDefault = await unchangedBy(() => spawnCli(['status', ENV], join(root, 'cwd')));
      expectRefused(byDefault, 'REWIND_E_CONFIG_YAML', `${join(root, 'cwd', 'rewind.yaml')} is not valid YAML (line 2, column 1): `);
      expect(byDefault.stderr).not.toContain(configs.malformed!);
    });

    it('hints name the environment and release the error is about; what it cannot know stays a placeholder', async () => {
      const missing = await unchangedBy(() => run('deploy', ENV, '9.9.9'));
      expectRefused(missing, 'REWIND_E_RELEASE_NOT_FOUND');
      expect(hintLine(missing)).toBe(`Register it first with \`rewind release register ${ENV} 9.9.9 --artifact <path>\`.`);
      const json = await unchangedBy(() => run('deploy', ENV, '9.9.9', '--json'));
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'REWIND_E_RELEASE_NOT_FOUND', env: ENV, version: '9.9.9', hint: hintLine(missing) });
      const resume = await unchangedBy(() => run('resume', ENV));
      expectRefused(resume, 'REWIND_E_NOTHING_TO_RESUME');
      expect(hintLine(resume)).toBe(`No interrupted operation was found; \`rewind history ${ENV}\` shows what ran.`);
      const noLkg = await unchangedBy(() => run('rollback', ENV, '--yes'));
      expect(hintLine(noLkg)).toBe(ERROR_REGISTRY.REWIND_E_NO_LKG.hint);
      expect(hintLine(noLkg)).toContain('--to <version>');
    });

    it('smoke without a suite, with a missing suite file, with a broken one: each names what is missing and where', async () => {
      const none = await unchangedBy(() => run('smoke', ENV));
      expectRefused(none, 'REWIND_E_NO_SMOKE_SUITE');
      expect(errorLine(none)).toBe(`error REWIND_E_NO_SMOKE_SUITE: ${ENV} has no smoke suite: ${config} does not set environments.${ENV}.smoke`);
      expect(hintLine(none)).toBe(`Add \`environments.${ENV}.smoke.suite\` to rewind.yaml: the suite file, relative to rewind.yaml (docs/config.md#smoke-suite; examples/smoke/minimal.yaml is a start).`);

      const missing = await unchangedBy(() => cli(['smoke', ENV, '--config', configs.smokeMissing!, '--json']));
      expectRefused(missing, 'REWIND_E_SMOKE_SUITE_NOT_FOUND');
      expect(errorLine(missing)).toBe(`error REWIND_E_SMOKE_SUITE_NOT_FOUND: the smoke suite file ${join(root, 'smoke', 'nope.yaml')} does not exist`);
      expect(hintLine(missing)).toContain(`The file \`environments.${ENV}.smoke.suite\` names`);
      expect(JSON.parse(missing.stdout).error).toMatchObject({ code: 'REWIND_E_SMOKE_SUITE_NOT_FOUND', env: ENV, path: join(root, 'smoke', 'nope.yaml'), hint: hintLine(missing) });

      const broken = await unchangedBy(() => cli(['smoke', ENV, '--config', configs.smokeBroken!]));
      expectRefused(broken, 'REWIND_E_CONFIG_YAML');
      expect(errorLine(broken)).toMatch(new RegExp(`^error REWIND_E_CONFIG_YAML: smoke suite ${join(root, 'smoke', 'broken.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML \\(line 3, column 1\\): .+$`));
      expect(JSON.parse((await cli(['smoke', ENV, '--config', configs.smokeBroken!, '--json'])).stdout).error).toMatchObject({ code: 'REWIND_E_CONFIG_YAML', path: join(root, 'smoke', 'broken.yaml'), line: 3, column: 1 });
      expect(broken.stderr).not.toContain(`${config} is not valid`);
    });

    it('advise without watch.source: the metrics are unknown because it is not configured, and how to add it', async () => {
      const result = await unchangedBy(() => run('advise', ENV));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toContain(
        `  - the error rate and the latency ratio are not known because environments.${ENV}.watch.source is not configured, so neither can have fired: add a watch source to measure them (prometheus or http-probe, docs/config.md#watch-window; each deploy then also watches the new release before marking it good), or pass --error-rate / --latency-ratio if you have numbers`,
      );
      // A health check is configured: what is missing is a deployed release, not `health:`.
      expect(lines).toContain('  - no live health signal (nothing is deployed to check): pass --error-rate / --latency-ratio if you have numbers');
      expect(result.stdout).not.toContain('add `health:`');
    });
  });

  describe('a corrupted artifact', () => {
    it('is caught at deploy by its digest: exit 6 naming the cause, nothing unpacked, no current link, the release still registered', async () => {
      const corrupt = join(root, 'artifacts', 'app-2.0.0');
      await cp(artifact, corrupt, { recursive: true });
      await writeFile(join(corrupt, 'server.js'), 'console.log("2.0.0");\n');
      const registered = await run('release', 'register', ENV, '2.0.0', '--artifact', corrupt, '--ci', 'passed', '--json');
      expect(registered.code, registered.stderr).toBe(0);
      const { stored } = JSON.parse(registered.stdout) as { stored: string };

      // Flip one byte of one file in rewind's stored copy (bit rot, a hand edit) and in the build
      // folder it was registered from: same size, same name, different content. Either one intact
      // would be deployed (a deploy falls back to the build folder); neither is.
      for (const file of [join(stored, 'lib', 'util.js'), join(corrupt, 'lib', 'util.js')]) {
        const bytes = await readFile(file);
        bytes[0] = bytes[0]! ^ 0x01;
        await writeFile(file, bytes);
      }

      // Stopped in preflight: exit 6, the digest mismatch of each named, as the cause.
      const result = await spawnCli(['deploy', ENV, '2.0.0', '--config', config]);
      expectRefused(result, 'REWIND_E_PREFLIGHT_FAILED', `rewind's stored copy ${stored} has digest sha256:`, `artifact ${corrupt} has digest sha256:`, 'nothing changed', 'at prepare (cause REWIND_E_ARTIFACT_DIGEST_MISMATCH)');
      expect(result.code).toBe(6);

      const srv = join(root, 'srv');
      const releasesDir = join(srv, 'releases');
      expect(existsSync(releasesDir) ? readdirSync(releasesDir) : []).toEqual([]);
      expect(() => lstatSync(join(srv, 'current'))).toThrow();
      expect(existsSync(join(root, 'pm2'))).toBe(false);

      const ledger = ledgerDump();
      expect((ledger.releases as { version: string; state: string }[]).map((r) => [r.version, r.state])).toEqual([
        ['1.0.0', 'registered'],
        ['2.0.0', 'registered'],
      ]);
      expect(ledger.environments).toEqual([expect.objectContaining({ name: ENV, current_version: null })]);
      expect(ledger.locks).toEqual([]);
      // The attempt is journaled: one failed deploy, stopped at prepare.
      expect(ledger.operations).toEqual([expect.objectContaining({ kind: 'deploy', to_version: '2.0.0', state: 'failed' })]);
      expect((ledger.operations as { error: string }[])[0]!.error).toMatch(/^prepare: rewind's stored copy .* has digest .*; and artifact .* has digest/);
      const steps = (ledger.steps as { step_id: string; state: string }[]).map((s) => `${s.step_id}:${s.state}`);
      expect(steps).toEqual(['record-running:succeeded', 'disk-space:succeeded', 'prepare:failed']);

      // A repeat is refused the same way and still changes nothing on disk.
      const again = await cli(['deploy', ENV, '2.0.0', '--config', config]);
      expectRefused(again, 'REWIND_E_PREFLIGHT_FAILED', '(cause REWIND_E_ARTIFACT_DIGEST_MISMATCH)');
      expect(existsSync(releasesDir) ? readdirSync(releasesDir) : []).toEqual([]);
    });
  });
});

describe('init, config check and config schema', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-init-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('init writes a starter file that config check accepts once target.path points somewhere writable', async () => {
    const file = join(dir, 'rewind.yaml');
    const init = await cli(['init', '--config', file]);
    expect(init).toEqual({ code: 0, stdout: `wrote ${file} — edit it, then run \`rewind config check\`\n`, stderr: '' });
    const text = await readFile(file, 'utf8');
    expect(text).toContain('path: /srv/myapp');
    await writeFile(file, text.replace('path: /srv/myapp', `path: ${join(dir, 'srv')}`));

    const check = await cli(['config', 'check', '--config', file, '--json']);
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toEqual({
      valid: true,
      path: file,
      ledger: join(dir, 'rewind.db'),
      artifactStore: join(dir, 'rewind-artifacts'),
      environments: [{ name: 'production', target: 'releases', runtime: 'pm2', path: join(dir, 'srv'), health: 'http://127.0.0.1:3000/health' }],
    });
    const human = await cli(['config', 'check', '--config', file]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${file} is valid`);
    expect(human.stdout).toContain(`  artifact store: ${join(dir, 'rewind-artifacts')}\n`);
    // config check reads only: no ledger, no log file, no deploy root.
    expect(readdirSync(dir)).toEqual(['rewind.yaml']);
  });

  it('init refuses to overwrite an existing file with REWIND_E_CONFIG_EXISTS, leaving it as it was; --force overwrites', async () => {
    const file = join(dir, 'mine.yaml');
    await writeFile(file, '# my own config\n');
    const again = await cli(['init', '--config', file]);
    expectRefused(again, 'REWIND_E_CONFIG_EXISTS', `${file} already exists`);
    expect(await readFile(file, 'utf8')).toBe('# my own config\n');
    const first = await cli(['init', '--config', join(dir, 'twice.yaml')]);
    expect(first.code).toBe(0);
    const second = await cli(['init', '--config', join(dir, 'twice.yaml')]);
    expectRefused(second, 'REWIND_E_CONFIG_EXISTS');
    const forced = await cli(['init', '--config', file, '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ written: file });
    expect(await readFile(file, 'utf8')).toContain('environments:');
  });

  it('config schema prints a JSON Schema of rewind.yaml with environments', async () => {
    const result = await cli(['config', 'schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as {
      $schema: string;
      type: string;
      required?: string[];
      additionalProperties: boolean;
      properties: Record<string, { type?: string; additionalProperties?: { properties?: Record<string, unknown> } }>;
    };
    expect(schema.$schema).toMatch(/^https:\/\/json-schema\.org\//);
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['environments', 'ledger', 'log', 'version']));
    expect(schema.required).toEqual(['environments']);
    expect(schema.properties.environments!.type).toBe('object');
    expect(Object.keys(schema.properties.environments!.additionalProperties!.properties!)).toEqual(expect.arrayContaining(['deploy', 'health', 'lock', 'target']));
  });
});

describe('--help', () => {
  it('lists at least the documented commands', async () => {
    expect(await listedCommands()).toEqual(
      expect.arrayContaining(['init', 'config', 'release', 'deploy', 'rollback', 'status', 'history', 'resume', 'unlock', 'demo']),
    );
  });

  it('rewind <command> --help exits 0 and prints the usage of every listed command', async () => {
    const commands = await listedCommands();
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const command of commands) {
      const result = await cli([command, '--help']);
      expect(result.code, command).toBe(0);
      expect(result.stderr, command).toBe('');
      expect(result.stdout, command).toMatch(new RegExp(`^rewind ${command}\\b`));
      // The help goes beyond the usage line: it explains the arguments.
      expect(result.stdout.split('\n').length, command).toBeGreaterThan(3);
    }
    // The usage printed is the one the command's own errors quote.
    expect((await cli(['rollback', '--help'])).stdout.startsWith(`${rollbackCommand.usage}\n`)).toBe(true);
  });

  it('rewind --help lists every command, and exits 0 from the real binary', async () => {
    const result = await spawnCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of await listedCommands()) expect(result.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    const version = await spawnCli(['--version']);
    expect(version).toEqual({ code: 0, stdout: `${(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version}\n`, stderr: '' });
  });

  it('an unknown command exits 2 from the real binary', async () => {
    const result = await spawnCli(['frobnicate']);
    expectRefused(result, 'REWIND_E_USAGE', 'unknown command "frobnicate"');
  });
});
