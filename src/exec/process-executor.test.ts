import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RewindError } from '../errors/rewind-error.js';
import { redactor } from '../util/redact.js';
import { describeCommand, ProcessExecutor, redactArgv } from './process-executor.js';

const node = process.execPath;

describe('ProcessExecutor', () => {
  const executor = new ProcessExecutor();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-exec-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('passes an argument with spaces and a semicolon literally, without a shell', async () => {
    const result = await executor.run({ argv: [node, '-e', 'console.log(process.argv[1])', 'a; echo pwned'] });
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
    expect(result.stdout).toBe('a; echo pwned\n');
  });

  it('does not expand globs, variables, substitutions or redirections', async () => {
    const args = ['*', '$HOME', '$(touch pwned)', '`touch pwned2`', '> out.txt', "it's \"quoted\""];
    const result = await executor.run({ argv: [node, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...args], cwd: dir });
    expect(JSON.parse(result.stdout)).toEqual(args);
    // Nothing the "shell syntax" would have done happened in the working directory.
    expect(await readdir(dir)).toEqual([]);
  });

  it('runs in the given cwd with the given environment added to its own', async () => {
    const result = await executor.run({
      argv: [node, '-e', 'console.log(JSON.stringify([process.cwd(), process.env.REWIND_TEST_VALUE, typeof process.env.PATH]))'],
      cwd: dir,
      env: { REWIND_TEST_VALUE: 'x y;z' },
    });
    const [cwd, value, path] = JSON.parse(result.stdout) as string[];
    expect(cwd).toBe(dir);
    expect(value).toBe('x y;z');
    expect(path).toBe('string');
  });

  it('reports a non-zero exit code and stderr without throwing', async () => {
    const result = await executor.run({ argv: [node, '-e', 'process.stderr.write("boom"); process.exit(3)'] });
    expect(result).toMatchObject({ exitCode: 3, stderr: 'boom', timedOut: false });
  });

  it('kills a command that runs past its timeout and says so', async () => {
    const started = Date.now();
    const result = await executor.run({ argv: [node, '-e', 'setTimeout(() => console.log("finished"), 20000)'], timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.exitCode).toBeNull();
    expect(result.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not report a timeout for a command that finishes in time', async () => {
    const result = await executor.run({ argv: [node, '-e', 'console.log("ok")'], timeoutMs: 10_000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'ok\n' });
  });

  it('caps captured output', async () => {
    const result = await executor.run({ argv: [node, '-e', 'process.stdout.write("x".repeat(1024 * 1024))'] });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBeLessThan(1024 * 1024);
    expect(result.stdout.length).toBeGreaterThanOrEqual(64 * 1024);
  });

  it('rejects a program that does not exist with REWIND_E_COMMAND_FAILED, the argv redacted', async () => {
    const run = executor.run({ argv: ['/nonexistent/rewind-no-such-program', '--token', 'abc-secret-1234'], redact: ['abc-secret-1234'] });
    await expect(run).rejects.toBeInstanceOf(RewindError);
    const error = (await run.catch((e: unknown) => e)) as RewindError;
    expect(error.code).toBe('REWIND_E_COMMAND_FAILED');
    expect(error.message).toContain('/nonexistent/rewind-no-such-program');
    expect(error.message).not.toContain('abc-secret-1234');
    expect(error.details.argv).toEqual(['/nonexistent/rewind-no-such-program', '--token', '***']);
  });

  it('rejects an empty argv', async () => {
    await expect(executor.run({ argv: [] })).rejects.toMatchObject({ code: 'REWIND_E_INTERNAL' });
  });
});

describe('ProcessExecutor and secret references', () => {
  const printEnv = (name: string) => [node, '-e', `process.stdout.write(process.env.${name} ?? '<unset>')`];
  const values: Record<string, string> = { 'environments.x.database.url#password': 'ref-secret-value-1' };
  const resolver = {
    resolve: (ref: { secret: string }) => {
      const value = values[ref.secret];
      if (value === undefined) throw new RewindError('REWIND_E_CONFIG_INVALID', `${ref.secret} is not in the config`);
      return value;
    },
  };
  const withSecrets = new ProcessExecutor(resolver);
  const executor = new ProcessExecutor();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-exec-refs-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('hands the child the value behind a reference; the command itself only names it', async () => {
    const command = { argv: printEnv('PGPASSWORD'), env: { PGPASSWORD: { secret: 'environments.x.database.url#password' } } };
    expect((await withSecrets.run(command)).stdout).toBe('ref-secret-value-1');
    expect(JSON.stringify(command)).not.toContain('ref-secret-value-1');
    const pipeline = await withSecrets.runPipeline([command, { argv: ['cat'] }]);
    expect(pipeline.stages[1]!.stdout).toBe('ref-secret-value-1');
  });

  it('uses a plain string as it is (plans stored before references existed hold values)', async () => {
    expect((await withSecrets.run({ argv: printEnv('PGPASSWORD'), env: { PGPASSWORD: 'legacy-value-2' }, redact: ['legacy-value-2'] })).stdout).toBe('legacy-value-2');
  });

  it('starts nothing when a reference cannot be resolved, and says which, without a value', async () => {
    const marker = join(dir, 'started');
    const touch = [node, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`];
    await expect(withSecrets.run({ argv: touch, env: { A: { secret: 'environments.gone.database.url#password' } } })).rejects.toMatchObject({ code: 'REWIND_E_CONFIG_INVALID' });
    await expect(withSecrets.runPipeline([{ argv: touch }, { argv: ['cat'], env: { A: { secret: 'environments.gone.database.url#password' } } }])).rejects.toMatchObject({
      code: 'REWIND_E_CONFIG_INVALID',
    });
    await expect(executor.run({ argv: touch, env: { A: { secret: 'environments.x.database.url#password' } } })).rejects.toMatchObject({ code: 'REWIND_E_INTERNAL' });
    expect(await readdir(dir)).not.toContain('started');
  });

  it('masks a resolved value in its own error messages', async () => {
    const error = (await withSecrets
      .run({ argv: ['/nonexistent/rewind-tool', '--flag=ref-secret-value-1'], env: { P: { secret: 'environments.x.database.url#password' } } })
      .catch((e: unknown) => e)) as RewindError;
    expect(error.code).toBe('REWIND_E_COMMAND_FAILED');
    expect(error.message).not.toContain('ref-secret-value-1');
    expect(error.details.argv).toEqual(['/nonexistent/rewind-tool', '--flag=***']);
  });
});

describe('describeCommand and redactArgv', () => {
  it('quotes arguments for display only where needed', () => {
    expect(describeCommand({ argv: ['systemctl', 'reload', 'app@1.service'] })).toBe('systemctl reload app@1.service');
    expect(describeCommand({ argv: ['sh', '-c', "echo it's; rm -rf /"] })).toBe(`sh -c 'echo it'\\''s; rm -rf /'`);
    expect(describeCommand({ argv: ['printf', ''] })).toBe("printf ''");
  });

  it('masks per-command secrets and process-wide secrets', () => {
    redactor.add('global-secret-5678');
    const command = { argv: ['curl', '-H', 'X-Token: cmd-secret-1234', '--pass=global-secret-5678'], redact: ['cmd-secret-1234'] };
    expect(redactArgv(command)).toEqual(['curl', '-H', 'X-Token: ***', '--pass=***']);
    const printed = describeCommand(command);
    expect(printed).toBe("curl -H 'X-Token: ***' '--pass=***'");
    expect(printed).not.toMatch(/cmd-secret|global-secret/);
    // The command itself is not modified: it still runs with the real values.
    expect(command.argv[2]).toBe('X-Token: cmd-secret-1234');
  });
});
