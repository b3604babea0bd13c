import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './support/sandbox.js';

const EXECUTOR = join(import.meta.dirname, '..', 'dist', 'exec', 'process-executor.js');

/** The direct children of `pid`, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

/** A node process that runs `argv` through rewind's executor and then idles, as rewind does mid-step. */
function runnerWith(argv: string[]) {
  const script = `import { ProcessExecutor } from ${JSON.stringify(EXECUTOR)}; new ProcessExecutor().run({ argv: ${JSON.stringify(argv)} }); setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
}

describe.runIf(process.platform === 'linux')('children of rewind (real processes)', () => {
  it('die with rewind when it is SIGKILLed, instead of living on as orphans', async () => {
    const runner = runnerWith(['sleep', '300']);
    const child = await waitFor(async () => childrenOf(runner.pid!).find((pid) => cmdline(pid).includes('300')));
    expect(cmdline(child).at(-2)).toMatch(/sleep$/);
    runner.kill('SIGKILL');
    await waitFor(async () => !alive(child), 5000);
    expect(alive(child)).toBe(false);
  });

  it('do not receive the Ctrl-C that the terminal sends to rewind\'s process group', async () => {
    const runner = spawn(process.execPath, ['--input-type=module', '-e', `import { ProcessExecutor } from ${JSON.stringify(EXECUTOR)}; process.on('SIGINT', () => {}); new ProcessExecutor().run({ argv: ['sleep', '300'] }); setInterval(() => {}, 1000);`], { stdio: 'ignore', detached: true });
    try {
      const child = await waitFor(async () => childrenOf(runner.pid!).find((pid) => cmdline(pid).includes('300')));
      // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
      process.kill(-runner.pid!, 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(alive(runner.pid!)).toBe(true);
      expect(alive(child)).toBe(true);
      runner.kill('SIGKILL');
      await waitFor(async () => !alive(child), 5000);
    } finally {
      runner.kill('SIGKILL');
    }
  });
});
