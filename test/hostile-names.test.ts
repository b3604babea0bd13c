import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { ERROR_REGISTRY, type ErrorCode } from '../src/errors/error-registry.js';
import { unchangedBy, worldSnapshot } from './support/world-snapshot.js';

// Names every plain JavaScript object answers to (Object.prototype's members). Given on the command
// line they must be unknown environments and unknown commands like any other name: a lookup that
// finds an inherited member instead ran status on nothing, crashed deploys with REWIND_E_INTERNAL
// and let `unlock --force` write an environment row and a lock_forced event for a phantom env.

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const ENV = 'staging';
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('prototype names on the command line', () => {
  let root: string;
  let cache: string;
  let config: string;
  let artifact: string;
  /** rewind.yaml with a second environment named by each key. */
  const configsNaming = new Map<string, string>();
  let snapshot: ReturnType<typeof worldSnapshot>;

  /** The real binary; the validated-config stamp (status' fast path) is kept outside the sandbox. */
  const rewind = (argv: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Result> =>
    new Promise((resolve, reject) => {
      const env = { PATH: process.env.PATH, HOME: cache, XDG_CACHE_HOME: cache, REWIND_ACTOR: 'tester@hostile-names', ...extraEnv };
      const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });

  const expectRefused = (result: Result, code: ErrorCode, ...mentions: string[]) => {
    expect(result.code, result.stderr).toBe(ERROR_REGISTRY[code].exitCode);
    expect(result.stderr).toContain(`error ${code}: `);
    for (const mention of mentions) expect(result.stderr).toContain(mention);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-hostile-names-'));
    cache = await mkdtemp(join(tmpdir(), 'rewind-hostile-names-cache-'));
    config = join(root, 'rewind.yaml');
    const yaml = sampleConfigYaml({ root, env: ENV, port: 9, appName: 'rw-hostile-names' });
    await writeFile(config, yaml);
    const environment = yaml.split('\nenvironments:\n')[1]!;
    for (const name of ['__proto__', 'constructor']) {
      configsNaming.set(name, join(root, `env-${name}.yaml`));
      await writeFile(configsNaming.get(name)!, `${yaml}${environment.replace(`  ${ENV}:`, `  ${name}:`).replace('rw-hostile-names', 'rw-other')}`);
    }
    artifact = join(root, 'artifacts', 'app-1.0.0');
    await mkdir(artifact, { recursive: true });
    await writeFile(join(artifact, 'server.js'), 'console.log("1.0.0");\n');
    const registered = await rewind(['release', 'register', ENV, '1.0.0', '--artifact', artifact, '--ci', 'passed', '--config', config]);
    expect(registered.code, registered.stderr).toBe(0);
    snapshot = worldSnapshot(root, join(root, 'rewind.db'));
  }, 60_000);
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });

  it('the snapshot sees the ledger rows a phantom environment would add', () => {
    const { ledger } = snapshot();
    expect(ledger.environments).toEqual([expect.objectContaining({ name: ENV })]);
    expect(ledger.events).toEqual([expect.objectContaining({ event: 'release_registered', env: ENV })]);
  });

  it.each(PROTOTYPE_NAMES)('%s is an unknown environment for every command, which changes nothing', async (name) => {
    const commands = [
      ['status', name],
      ['deploy', name, '1.0.0'],
      ['deploy', name, '1.0.0', '--dry-run'],
      ['rollback', name, '--yes'],
      ['resume', name],
      ['unlock', name, '--force', '--reason', 'x'],
      ['history', name],
      ['history', name, '--events'],
      ['release', 'register', name, '1.0.0', '--artifact', artifact],
      ['release', 'list', name],
      ['db', 'backup', name],
    ];
    for (const argv of commands) {
      const result = await unchangedBy(snapshot, () => rewind([...argv, '--config', config]));
      expectRefused(result, 'REWIND_E_UNKNOWN_ENV', `environment ${JSON.stringify(name)} is not defined`, `known: ${ENV}`);
    }
    // status without the validated-config stamp reads the config in full: the same answer.
    const full = await unchangedBy(snapshot, () => rewind(['status', name, '--config', config], { REWIND_CONFIG_CACHE: 'off' }));
    expectRefused(full, 'REWIND_E_UNKNOWN_ENV', `environment ${JSON.stringify(name)} is not defined`);
  }, 120_000);

  it.each(PROTOTYPE_NAMES)('rewind %s is an unknown command (REWIND_E_USAGE), not a crash', async (name) => {
    const result = await unchangedBy(snapshot, () => rewind([name, ENV, '--config', config]));
    expectRefused(result, 'REWIND_E_USAGE', `unknown command ${JSON.stringify(name)}`);
    const json = await rewind([name, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'REWIND_E_USAGE' } });
  });

  it('a prototype name as a subcommand is an unknown subcommand', async () => {
    expectRefused(await unchangedBy(snapshot, () => rewind(['db', 'constructor', ENV, '--config', config])), 'REWIND_E_USAGE', 'unknown subcommand db "constructor"');
    expectRefused(await unchangedBy(snapshot, () => rewind(['release', 'toString', ENV, '--config', config])), 'REWIND_E_USAGE', 'unknown subcommand release "toString"');
    expectRefused(await unchangedBy(snapshot, () => rewind(['config', '__proto__', '--config', config])), 'REWIND_E_USAGE', 'unknown subcommand config "__proto__"');
  });

  it.each(['__proto__', 'constructor'])('an environment named %s in rewind.yaml is refused by config check, status and deploy (REWIND_E_CONFIG_INVALID naming it)', async (name) => {
    const problem = name === '__proto__' ? 'environments.__proto__: "__proto__" is not allowed as a key' : 'environments.constructor: reserved: ';
    for (const argv of [['config', 'check'], ['status', name], ['status', ENV], ['deploy', name, '1.0.0'], ['unlock', name, '--force', '--reason', 'x']]) {
      const result = await unchangedBy(snapshot, () => rewind([...argv, '--config', configsNaming.get(name)!]));
      expectRefused(result, 'REWIND_E_CONFIG_INVALID', problem);
    }
  });

  it('the real environment still works after all that: status staging exits 0', async () => {
    const result = await rewind(['status', ENV, '--config', config, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ env: ENV, current: null });
  });

  // Last: it writes to the ledger on purpose. A ledger row is data too: an operation of an
  // environment named constructor, or of kind constructor, must not be resumed as one.
  it('resume skips operations of environments rewind.yaml does not define, and refuses an operation kind it does not know (REWIND_E_LEDGER)', async () => {
    const ledgerFile = join(root, 'rewind.db');
    const insert = (id: string, env: string, kind: string) => {
      const db = new Database(ledgerFile);
      try {
        const plan = JSON.stringify({ version: 1, kind, env, from: null, to: '1.0.0', notes: [], steps: [] });
        db.prepare(
          "INSERT INTO operations (id, env, kind, from_version, to_version, state, plan, actor, parent_id, reason, error, started_at, finished_at) VALUES (?, ?, ?, NULL, '1.0.0', 'running', ?, 'tester', NULL, NULL, NULL, 1, NULL)",
        ).run(id, env, kind, plan);
      } finally {
        db.close();
      }
    };
    insert('op_phantom_env', 'constructor', 'deploy');
    const none = await unchangedBy(snapshot, () => rewind(['resume', '--config', config]));
    expectRefused(none, 'REWIND_E_NOTHING_TO_RESUME', 'no environment has an unfinished operation');

    insert('op_phantom_kind', ENV, 'constructor');
    // Both operations stay as they were, nothing is announced as resumed, and the lock is let go.
    const refused = await unchangedBy(snapshot, () => rewind(['resume', '--config', config]));
    expectRefused(refused, 'REWIND_E_LEDGER', 'operation op_phantom_kind on staging has kind "constructor", which rewind cannot resume');
    const again = await unchangedBy(snapshot, () => rewind(['resume', ENV, '--config', config]));
    expectRefused(again, 'REWIND_E_LEDGER', 'op_phantom_kind');
    expect(snapshot().ledger.locks).toEqual([]);
  });
});
