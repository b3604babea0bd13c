import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from './support/lint-corpus.js';
import { main } from '../src/cli/rewind-cli.js';
import { ERROR_REGISTRY } from '../src/errors/error-registry.js';
import { RULES } from '../src/lint/rule-catalog.js';

// `rewind lint` in-process, as CI runs it: no rewind.yaml, a directory or files, exit codes that
// a pipeline can act on, and stdout that stays one clean document in json and sarif formats.

function capture(): PassThrough & { text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdout, stderr, env: { PATH: process.env.PATH } });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const FINDINGS_EXIT = ERROR_REGISTRY.REWIND_E_LINT_FINDINGS.exitCode;

describe('rewind lint (CLI)', () => {
  let root: string;
  const path = (...parts: string[]) => join(root, ...parts);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'rewind-lint-cli-'));
    // A Prisma-style tree: migrations/<timestamp_name>/migration.sql, plus a stray non-SQL file.
    mkdirSync(path('prisma', 'migrations', '20240101000000_init'), { recursive: true });
    mkdirSync(path('prisma', 'migrations', '20240202000000_add_nickname'), { recursive: true });
    writeFileSync(path('prisma', 'migrations', '20240101000000_init', 'migration.sql'), 'CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL);\n');
    writeFileSync(path('prisma', 'migrations', '20240202000000_add_nickname', 'migration.sql'), 'ALTER TABLE "User" ADD COLUMN nickname text;\n');
    writeFileSync(path('prisma', 'migrations', 'migration_lock.toml'), 'provider = "postgresql"\n');
    mkdirSync(path('flat'));
    writeFileSync(path('flat', '002_drop.sql'), '-- drops a column old code reads\nALTER TABLE users DROP COLUMN legacy;\n');
    writeFileSync(path('flat', '001_index.sql'), 'CREATE INDEX users_email_idx ON users (email);\n');
    writeFileSync(path('irreversible.sql'), 'DELETE FROM sessions;\n');
    writeFileSync(path('mysql.sql'), 'ALTER TABLE users DROP COLUMN legacy;\n');
    writeFileSync(path('my file #1.sql'), 'DROP TABLE films;\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('exits 0 on additive migrations (walking a Prisma migrations tree, no rewind.yaml)', async () => {
    const result = await cli(['lint', path('prisma', 'migrations')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('2 statement(s) in 2 file(s): no findings');
    expect(result.stdout).toContain('verdict: additive');
  });

  it(`exits ${FINDINGS_EXIT} (REWIND_E_LINT_FINDINGS) with breaking or locking findings, files in path order`, async () => {
    const result = await cli(['lint', path('flat')]);
    expect(result.code).toBe(FINDINGS_EXIT);
    expect(result.stderr).toContain('error REWIND_E_LINT_FINDINGS: 2 finding(s) fail the check (breaking, locking)');
    expect(result.stderr).toContain('hint: ');
    const index = result.stdout.indexOf('001_index.sql');
    const drop = result.stdout.indexOf('002_drop.sql');
    expect(index).toBeGreaterThanOrEqual(0);
    expect(drop).toBeGreaterThan(index);
    expect(result.stdout).toContain('2:1     error   RW102 breaking');
    expect(result.stdout).toContain('safe alternative:');
    expect(result.stdout).toContain('verdict: breaking');
  });

  it('exits 0 when the only findings are irreversible (reported, not failing)', async () => {
    const result = await cli(['lint', path('irreversible.sql')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('RW304 irreversible');
  });

  it('--format json prints exactly one JSON document on stdout, even when failing', async () => {
    const result = await cli(['lint', path('flat', '002_drop.sql'), path('flat', '001_index.sql'), '--format', 'json']);
    expect(result.code).toBe(FINDINGS_EXIT);
    const report = JSON.parse(result.stdout) as { verdict: string; findings: { code: string; line: number; file: string }[]; files: number; engine: string };
    expect(report.verdict).toBe('breaking');
    expect(report.engine).toBe('postgres');
    expect(report.files).toBe(2);
    // Files named on the command line keep their order.
    expect(report.findings.map((f) => `${f.code}@${f.line}`)).toEqual(['RW102@2', 'RW302@2', 'RW201@1']);
    // --json is accepted as --format json.
    expect(JSON.parse((await cli(['lint', path('flat'), '--json'])).stdout)).toHaveProperty('verdict', 'breaking');
  });

  it('--format sarif prints SARIF 2.1.0 with percent-encoded file URIs', async () => {
    const result = await cli(['lint', path('my file #1.sql'), '--format', 'sarif']);
    expect(result.code).toBe(FINDINGS_EXIT);
    const sarif = JSON.parse(result.stdout) as { version: string; runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    const uri = sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri;
    expect(uri.startsWith('file:///')).toBe(true);
    expect(uri.endsWith('/my%20file%20%231.sql')).toBe(true);
  });

  it('--engine mysql lints best-effort and says so', async () => {
    const result = await cli(['lint', path('mysql.sql'), '--engine', 'mysql']);
    expect(result.code).toBe(FINDINGS_EXIT);
    expect(result.stdout).toContain('RW102 breaking');
    expect(result.stdout).toContain('note: mysql: best-effort parser');
  });

  it('refuses bad input with REWIND_E_USAGE (exit 2)', async () => {
    const usage = ERROR_REGISTRY.REWIND_E_USAGE.exitCode;
    const missing = await cli(['lint', path('nope')]);
    expect(missing.code).toBe(usage);
    expect(missing.stderr).toContain('no such file or directory');
    const none = await cli(['lint']);
    expect(none.code).toBe(usage);
    expect(none.stderr).toContain('usage: rewind lint');
    const format = await cli(['lint', path('flat'), '--format', 'xml']);
    expect(format.code).toBe(usage);
    expect(format.stderr).toContain('--format must be one of text, json, sarif');
    const engine = await cli(['lint', path('flat'), '--engine', 'oracle']);
    expect(engine.code).toBe(usage);
    expect(engine.stderr).toContain('--engine must be one of postgres, mysql, sqlite');
    mkdirSync(path('empty'), { recursive: true });
    const empty = await cli(['lint', path('empty')]);
    expect(empty.code).toBe(usage);
    expect(empty.stderr).toContain('no *.sql files found');
  });

  it('--help teaches the classes, every rule code and the suppression syntax', async () => {
    const result = await cli(['lint', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('rewind lint <dir|file.sql…>')).toBe(true);
    for (const cls of ['breaking', 'locking', 'irreversible', 'unchecked', 'invalid']) expect(result.stdout).toContain(`  ${cls}`);
    for (const rule of RULES) expect(result.stdout).toContain(`${rule.code}  ${rule.class}`);
    expect(result.stdout).toContain('-- rewind:ignore RW102 ');
    expect(result.stdout).toContain(`${FINDINGS_EXIT} (REWIND_E_LINT_FINDINGS)`);
  });

  it('the built CLI spreads files over worker threads with exactly the single-thread result', () => {
    const cliMain = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
    expect(existsSync(cliMain), 'build first: npx tsc -p .').toBe(true);
    const statements = generateCorpus(path('big'), 800, 10); // under the size threshold: REWIND_LINT_THREADS=2 forces the workers
    const run = (threads?: string) =>
      spawnSync(process.execPath, [cliMain, 'lint', path('big'), '--format', 'json'], {
        encoding: 'utf8',
        shell: false,
        maxBuffer: 64 * 1024 * 1024,
        env: { PATH: process.env.PATH, ...(threads ? { REWIND_LINT_THREADS: threads } : {}) },
      });
    const parallel = run('2');
    const single = run('1');
    expect(parallel.status).toBe(FINDINGS_EXIT);
    expect(single.status).toBe(FINDINGS_EXIT);
    const report = JSON.parse(parallel.stdout) as { statements: number; files: number; findings: unknown[] };
    expect(report).toMatchObject({ statements, files: 800 });
    expect(report.findings.length).toBeGreaterThan(1000);
    expect(parallel.stdout).toBe(single.stdout);
  });

  it('the built CLI ends with its own exit code and no stack trace when the reader closes stdout early', async () => {
    const cliMain = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
    generateCorpus(path('piped'), 300, 10); // ~0.6 MB of JSON: more than a pipe holds
    const child = spawn(process.execPath, [cliMain, 'lint', path('piped'), '--format', 'json'], { shell: false, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let first = '';
    child.stdout.on('data', (chunk: Buffer) => {
      first += chunk.toString();
      if (first.length >= 1024) child.stdout.destroy(); // what `| head -c 1024` does once it has enough
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(first.startsWith('{"findings":[')).toBe(true);
    expect(code, stderr).toBe(FINDINGS_EXIT);
    expect(stderr).toContain('REWIND_E_LINT_FINDINGS');
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at .*\.js:\d+/);
  });

  it('is listed by `rewind --help`', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/^ {2}lint +\S/m);
  });
});
