import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandResult, CommandSpec, Executor } from '../../../ports/executor.js';
import { NginxRouter } from './nginx-router.js';

/** Answers nginx commands from a script and records them; real nginx runs in test/routers. */
class ScriptedExecutor implements Executor {
  readonly calls: string[][] = [];
  constructor(private readonly answer: (argv: readonly string[]) => Partial<CommandResult> | Error = () => ({})) {}
  async run(command: CommandSpec): Promise<CommandResult> {
    this.calls.push([...command.argv]);
    const answer = this.answer(command.argv);
    if (answer instanceof Error) throw answer;
    return { exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 1, timedOut: false, ...answer };
  }
}

const backends = {
  stable: { name: 'stable', host: '127.0.0.1', port: 3001 },
  canary: { name: 'canary', host: '127.0.0.1', port: 3002 },
};

describe('NginxRouter', () => {
  let root: string;
  let file: string;
  const router = (executor: Executor) =>
    new NginxRouter({ backends, upstreamFile: file, prefix: root, configFile: join(root, 'nginx.conf'), errorLog: join(root, 'e.log'), pidFile: join(root, 'none.pid') }, executor);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-nginx-unit-'));
    file = join(root, 'upstream.conf');
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('describes the switch as argv (prefix, config, error log) and the file it writes', () => {
    const description = router(new ScriptedExecutor()).describeSetWeights({ stable: 90, canary: 10 });
    expect(description.commands.map((c) => c.argv.join(' '))).toEqual([
      `nginx -p ${root} -c ${root}/nginx.conf -e ${root}/e.log -t`,
      `nginx -p ${root} -c ${root}/nginx.conf -e ${root}/e.log -s reload`,
    ]);
    expect(description.effects[0]).toContain('weight=90 for stable, weight=10 for canary');
    expect(router(new ScriptedExecutor()).describeSetWeights({ stable: 100, canary: 0 }).effects[0]).toContain('down for canary');
  });

  it('writes the file, tests, reloads; reports the switch unconfirmed when the master pid is unknown', async () => {
    const executor = new ScriptedExecutor();
    const outcome = await router(executor).setWeights({ stable: 90, canary: 10 });
    expect(outcome).toMatchObject({ status: 'succeeded', detail: { confirmed: false } });
    expect(executor.calls.map((argv) => argv.slice(-1)[0])).toEqual(['-t', 'reload']);
    expect(await router(executor).currentWeights()).toEqual({ stable: 90, canary: 10 });
    // No temp file is left beside the upstream file.
    expect(await readdir(root)).toEqual(['upstream.conf']);
  });

  it('puts the previous file back and does not reload when nginx -t fails', async () => {
    const before = router(new ScriptedExecutor()).render({ stable: 100, canary: 0 });
    await writeFile(file, before);
    const executor = new ScriptedExecutor((argv) => (argv.includes('-t') ? { exitCode: 1, stderr: 'nginx: [emerg] host not found in upstream' } : {}));
    const outcome = await router(executor).setWeights({ stable: 10, canary: 90 });
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ROUTER_FAILED', detail: { exitCode: 1, stderr: expect.stringContaining('host not found') } });
    expect(executor.calls).toHaveLength(1);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('removes a first file again when its test fails, and when nginx is not installed', async () => {
    const failing = new ScriptedExecutor(() => ({ exitCode: 1 }));
    expect((await router(failing).setWeights({ stable: 50, canary: 50 })).status).toBe('failed');
    expect(existsSync(file)).toBe(false);
    const missing = new ScriptedExecutor(() => new Error('spawn nginx ENOENT'));
    expect(await router(missing).setWeights({ stable: 50, canary: 50 })).toMatchObject({ status: 'failed', detail: { stderr: 'spawn nginx ENOENT' } });
    expect(existsSync(file)).toBe(false);
  });

  it('restores the previous file when the reload fails', async () => {
    const before = router(new ScriptedExecutor()).render({ stable: 100, canary: 0 });
    await writeFile(file, before);
    const executor = new ScriptedExecutor((argv) => (argv.includes('reload') ? { exitCode: 1, stderr: 'nginx: [error] invalid PID number' } : {}));
    expect((await router(executor).setWeights({ stable: 0, canary: 100 })).status).toBe('failed');
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses bad weights and bad backends before touching anything', async () => {
    const executor = new ScriptedExecutor();
    await expect(router(executor).setWeights({ stable: 90, canary: 90 })).rejects.toMatchObject({ code: 'REWIND_E_ROUTER_INVALID' });
    expect(() => router(executor).describeSetWeights({ stable: 101, canary: -1 })).toThrow(/weights\.stable/);
    expect(executor.calls).toEqual([]);
    expect(existsSync(file)).toBe(false);
    const inject = { ...backends, canary: { name: 'x', host: '127.0.0.1; include /etc/passwd', port: 1 } };
    expect(() => new NginxRouter({ backends: inject, upstreamFile: file }, executor)).toThrow(/backends\.canary\.host/);
    expect(() => new NginxRouter({ backends, upstreamFile: file, upstream: 'a b' }, executor)).toThrow(/upstream must be/);
    await expect(router(executor).currentWeights()).rejects.toMatchObject({ code: 'REWIND_E_ROUTER_FAILED' });
  });

  it('fails without running nginx when the upstream file cannot be written', async () => {
    const executor = new ScriptedExecutor();
    const outcome = await new NginxRouter({ backends, upstreamFile: join(root, 'missing-dir', 'upstream.conf') }, executor).setWeights({ stable: 100, canary: 0 });
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ROUTER_FAILED', message: expect.stringContaining('cannot write') });
    expect(executor.calls).toEqual([]);
  });

  it('refuses calls after close()', async () => {
    const r = router(new ScriptedExecutor());
    await r.close();
    await r.close();
    await expect(r.setWeights({ stable: 100, canary: 0 })).rejects.toThrow(/after close/);
  });
});
