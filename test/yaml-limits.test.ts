import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES } from '../src/config/read-config-file.js';
import { sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { ERROR_REGISTRY, type ErrorCode } from '../src/errors/error-registry.js';
import { unchangedBy, worldSnapshot } from './support/world-snapshot.js';

// A config that costs seconds to read is a denial of service for every command: "billion laughs"
// aliases (9 levels of 9: 9^9 nodes from 2 KB) kept even `status` busy for minutes. Each command
// must answer with a coded error at once; the test only bounds the wait (10 s), it times nothing.

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const ENV = 'staging';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Nine levels of nine aliases under `x-laughs` (9^9 nodes when walked). */
function laughs(): string {
  const item = '"laugh-laugh-laugh-laugh-laugh-laugh-laugh"';
  const lines = ['x-laughs:', `  l1: &l1 [${Array(9).fill(item).join(', ')}]`];
  for (let level = 2; level <= 9; level++) lines.push(`  l${level}: &l${level} [${Array(9).fill(`*l${level - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

describe('YAML limits: every command refuses a config that would take minutes to read', () => {
  let root: string;
  let cache: string;
  let valid: string;
  let snapshot: ReturnType<typeof worldSnapshot>;

  const rewind = (argv: string[]): Promise<Result> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: cache, XDG_CACHE_HOME: cache } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // A bound, not a measurement: before the budget these commands ran for minutes.
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });

  const expectRefused = (result: Result, code: ErrorCode, ...mentions: string[]) => {
    expect(result.signal, 'killed after 10 s: the command did not answer').toBeNull();
    expect(result.code, result.stderr).toBe(ERROR_REGISTRY[code].exitCode);
    expect(result.stderr).toContain(`error ${code}: `);
    expect(result.stderr).toContain(`hint: ${ERROR_REGISTRY[code].hint}`);
    for (const mention of mentions) expect(result.stderr).toContain(mention);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-yaml-limits-'));
    cache = await mkdtemp(join(tmpdir(), 'rewind-yaml-limits-cache-'));
    valid = sampleConfigYaml({ root, env: ENV, port: 9, appName: 'rw-yaml-limits' });
    const artifact = join(root, 'artifact');
    await mkdir(artifact);
    await writeFile(join(artifact, 'server.js'), 'console.log(1);\n');
    const config = join(root, 'rewind.yaml');
    await writeFile(config, valid);
    const registered = await rewind(['release', 'register', ENV, '1.0.0', '--artifact', artifact, '--config', config]);
    expect(registered.code, registered.stderr).toBe(0);
    snapshot = worldSnapshot(root, join(root, 'rewind.db'));
  }, 30_000);
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });

  it('a 2 KB config with nine levels of nested aliases: REWIND_E_CONFIG_TOO_LARGE (exit 2) from status, config check and deploy, nothing changed', async () => {
    const config = join(root, 'rewind.yaml');
    // status first sees the file as it was validated (its fast path stamps it), then the same path with the aliases.
    const before = await rewind(['status', ENV, '--config', config]);
    expect(before.code, before.stderr).toBe(0);
    const text = `${valid}${laughs()}`;
    expect(text.length).toBeGreaterThan(1500);
    expect(text.length).toBeLessThan(2500);
    await writeFile(config, text);
    try {
      for (const argv of [['status', ENV], ['config', 'check'], ['deploy', ENV, '1.0.0'], ['history', ENV], ['unlock', ENV, '--force', '--reason', 'x']]) {
        const result = await unchangedBy(snapshot, () => rewind([...argv, '--config', config]));
        expectRefused(result, 'REWIND_E_CONFIG_TOO_LARGE', 'rewind.yaml is too large (line ', 'its aliases stand for more than 100,000 nodes');
      }
    } finally {
      await writeFile(config, valid);
    }
  });

  it('an alias inside its own anchor (a cycle): REWIND_E_CONFIG_TOO_LARGE, not a stack overflow (REWIND_E_INTERNAL)', async () => {
    const config = join(root, 'cycle.yaml');
    await writeFile(config, `${valid}x-loop: &loop\n  again: *loop\n`);
    for (const argv of [['status', ENV], ['config', 'check']]) {
      expectRefused(await unchangedBy(snapshot, () => rewind([...argv, '--config', config])), 'REWIND_E_CONFIG_TOO_LARGE', 'alias *loop is inside the collection it names');
    }
  });

  it('a config over 1 MiB: REWIND_E_CONFIG_TOO_LARGE naming the file; at 1 MiB it is read', async () => {
    const config = join(root, 'big.yaml');
    const padded = (bytes: number) => `${valid}#${'x'.repeat(bytes - valid.length - 2)}\n`;
    await writeFile(config, padded(MAX_CONFIG_BYTES + 1));
    for (const argv of [['status', ENV], ['config', 'check']]) {
      expectRefused(await unchangedBy(snapshot, () => rewind([...argv, '--config', config])), 'REWIND_E_CONFIG_TOO_LARGE', `config file ${config} is larger than 1048576 bytes`);
    }
    await writeFile(config, padded(MAX_CONFIG_BYTES));
    const check = await rewind(['config', 'check', '--config', config]);
    expect(check.code, check.stderr).toBe(0);
  });

  it('a config sharing settings through a few anchors still works: config check and status (full, then the fast path)', async () => {
    const config = join(root, 'anchors.yaml');
    const shared = valid.replace('    health:\n', '    health: &health\n').replace('    deploy:\n', '    deploy: &deploy\n');
    const environment = shared.split('\nenvironments:\n')[1]!;
    const production = environment
      .replace(`  ${ENV}:`, '  production:')
      .replace('srv', 'srv-production')
      .replace('rw-yaml-limits', 'rw-yaml-limits-production')
      .replace(/ {4}health: &health\n(?: {6}.*\n)+/, '    health: *health\n')
      .replace(/ {4}deploy: &deploy\n(?: {6}.*\n)+/, '    deploy: *deploy\n');
    await writeFile(config, `${shared}${production}`);
    expect(production).toContain('    health: *health\n');
    expect(production).toContain('    deploy: *deploy\n');
    const check = await rewind(['config', 'check', '--config', config, '--json']);
    expect(check.code, check.stderr).toBe(0);
    const { environments } = JSON.parse(check.stdout) as { environments: { name: string; health: string }[] };
    expect(environments).toEqual([expect.objectContaining({ name: ENV, health: 'http://127.0.0.1:9/health' }), expect.objectContaining({ name: 'production', health: 'http://127.0.0.1:9/health' })]);
    const status = await rewind(['status', 'production', '--config', config]);
    expect(status.code, status.stderr).toBe(0);
    const again = await rewind(['status', 'production', '--config', config]);
    expect(again.code, again.stderr).toBe(0);
  });
});
