import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from './support/sandbox.js';

// The README's first command. The demo must pass on its own, print only JSON lines with --json,
// clean its sandbox, and leave no process behind (it checks the PM2 daemon itself and fails if alive).
describe('rewind demo', () => {
  it('deploys 1.0.0, fails 1.1.0, rolls back by itself, and verifies 1.0.0 serves (--json)', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('rewind-demo-')));
    const result = await runCli(['demo', '--json'], 90_000);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const events = lines.map((l) => l.event);
    expect(events.filter((e) => e === 'deploy_start')).toHaveLength(2);
    expect(lines.find((l) => l.event === 'rollback_start')).toMatchObject({ env: 'demo', from: '1.1.0', to: '1.0.0', automatic: true });
    expect(lines.find((l) => l.event === 'rollback_complete')).toMatchObject({ success: true });
    expect(lines.at(-1)).toMatchObject({ event: 'demo_complete', success: true, servedVersion: '1.0.0' });
    const left = readdirSync(tmpdir()).filter((n) => n.startsWith('rewind-demo-') && !before.has(n));
    expect(left).toEqual([]);
  });

  it('prints the human view with the step list and timeline', async () => {
    const result = await runCli(['demo'], 90_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✗ +\d+ ms {2}health of 1\.1\.0 — unhealthy/);
    expect(result.stdout).toContain('rollback demo: 1.1.0 → 1.0.0 (automatic)');
    expect(result.stdout).toContain('verified: GET /health → 200, version 1.0.0 serves again');
    expect(result.stdout).toContain('timeline');
    // It ends with the incident report the automatic rollback opened, filled from the journal.
    const report = result.stdout.slice(result.stdout.indexOf('the incident the rollback opened'));
    expect(report).toMatch(/^the incident the rollback opened \(rewind incident report 1\)/);
    expect(report).toMatch(/# Incident Report: \d{4}-\d\d-\d\d Rollback/);
    expect(report).toMatch(/Issue detected/);
    expect(report).toMatch(/Rollback completed/);
    expect(report).toContain('1.1.0');
    expect(report).toContain('[TO FILL IN: users affected');
    expect(result.stdout).toMatch(/✓ demo passed in \d+ ms; no process left running/);
  });

  it('refuses a TMPDIR too deep for PM2\'s sockets at once, naming the socket, and makes nothing there', async () => {
    // Past 107 bytes PM2's daemon cannot bind rpc.sock and its client waits forever: this once
    // hung the packed-tarball check for five minutes.
    const deep = join(tmpdir(), 'd'.repeat(60), 'e'.repeat(30));
    mkdirSync(deep, { recursive: true });
    onTestFinished(() => rmSync(join(tmpdir(), 'd'.repeat(60)), { recursive: true, force: true }));
    const started = Date.now();
    const result = await runCli(['demo', '--json'], 30_000, { TMPDIR: deep });
    expect(result.code, result.stderr).toBe(3);
    expect(Date.now() - started).toBeLessThan(20_000);
    const error = (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { error: { code: string; socket: string; bytes: number; maxBytes: number } }).error;
    expect(error).toMatchObject({ code: 'REWIND_E_PM2_HOME_TOO_LONG', maxBytes: 107 });
    expect(error.socket.startsWith(join(deep, 'rewind-demo-'))).toBe(true);
    expect(error.bytes).toBeGreaterThan(107);
    expect(readdirSync(deep)).toEqual([]);
  });
});
