import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The README's Install section, proved on the packed tarball (scripts/check-package.mjs does the
// work and asserts each step; this runs it inside the suite, so CI runs it through `npm test`, and
// checks what it leaves: nothing). It needs dist/ built, which `npm test` does first.
const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
const scratch = mkdtempSync(join(tmpdir(), 'pkg-')) // short: the demos' PM2 sockets end up below it;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runCheck(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // TMPDIR: every directory the check and its children make lands in scratch, to be counted after.
    const child = spawn(process.execPath, [join(root, 'scripts', 'check-package.mjs')], { cwd: root, env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function processesMentioning(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // not ours to inspect, or gone
      }
      if (cmdline.includes(dir) || cwd.startsWith(dir)) found.push(`${pid} ${cmdline}`);
    } catch {
      // gone
    }
  }
  return found;
}

describe(`the packed ${pkg.name} tarball`, () => {
  it('installs into an empty prefix and a project, and rewind --version, init, config check and demo work from elsewhere; without PM2 the demo names the install command', async () => {
    const result = await runCheck();
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { ok: boolean; package: string; steps: Array<{ step: string; betterSqlite3?: string; pm2?: string }> };
    expect(summary).toMatchObject({ ok: true, package: `${pkg.name}@${pkg.version}` });
    expect(summary.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining([
        'npm pack',
        'npm install -g --prefix <empty prefix> <tarball>',
        'npm install --save-dev <tarball> in a project',
        'rewind --version',
        'rewind init',
        'rewind config check',
        'rewind demo without PM2',
        'the advised PM2 install',
        'rewind demo',
        'npx rewind --version, init, config check in the project',
        'npx rewind demo without PM2',
        'the advised PM2 install in the project',
        'npx rewind demo in the project',
      ]),
    );
    // Afterwards: the prefix, the project, the demo's sandbox and PM2's home are gone, and nothing runs from them.
    expect(readdirSync(scratch)).toEqual([]);
    expect(processesMentioning(scratch)).toEqual([]);
  }, 300_000);
});
