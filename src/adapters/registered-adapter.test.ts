import { describe, expect, it } from 'vitest';
import type { EnvironmentConfig } from '../config/config-schema.js';
import { RewindError } from '../errors/rewind-error.js';
import { ProcessExecutor } from '../exec/process-executor.js';
import { listMigrationFiles } from '../migrations/migration-files.js';
import type { MigrationTool } from '../migrations/migration-history.js';
import { rejection } from '../../test/support/rejection.js';
import { loadAdapters } from './registry.js';

const { createDatabaseEngine, createMetricSource, createTarget, createTrafficRouter } = await loadAdapters();

// The registries pick an adapter by a `type` string from the config. The schema admits only the
// registered ones, but a registry is a plain object: a type of `constructor` or `toString` must be
// refused by name, not run Object.prototype.constructor as a factory and hand back a bogus adapter.

const executor = new ProcessExecutor();
const environment = (patch: (e: Record<string, any>) => void): EnvironmentConfig => {
  const e: Record<string, any> = {
    target: { type: 'releases', path: '/tmp/rewind-registry-test', keep: 5, runtime: { type: 'command', start: ['true'], reload: ['true'], zeroDowntime: false, timeoutMs: 1000 } },
    deploy: { autoRollback: true, baselineHealth: true, minFreeMb: 1 },
    lock: { ttlMs: 60_000 },
  };
  patch(e);
  return e as EnvironmentConfig;
};

function refusal(run: () => unknown): RewindError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RewindError);
    return error as RewindError;
  }
  throw new Error('expected a RewindError');
}

describe.each(['constructor', 'toString', 'valueOf', '__proto__'])('an adapter type %s', (type) => {
  it('is not a runtime or a target type', () => {
    expect(refusal(() => createTarget(environment((e) => (e.target.runtime.type = type)), executor))).toMatchObject({
      code: 'REWIND_E_CONFIG_INVALID',
      message: `target.runtime.type: ${JSON.stringify(type)} is not a type rewind knows (known: pm2, command)`,
    });
    expect(refusal(() => createTarget(environment((e) => (e.target.type = type)), executor))).toMatchObject({ code: 'REWIND_E_CONFIG_INVALID', message: expect.stringContaining('target.type: ') });
  });

  it('is not a database engine, a router or a metric source', () => {
    expect(refusal(() => createDatabaseEngine('staging', environment((e) => (e.database = { engine: type })), executor))).toMatchObject({
      code: 'REWIND_E_CONFIG_INVALID',
      message: `database.engine: ${JSON.stringify(type)} is not a type rewind knows (known: postgres, mysql, sqlite)`,
    });
    const slotted = environment((e) => {
      e.target.slots = { blue: { port: 1 }, green: { port: 2 }, host: '127.0.0.1', portEnv: 'PORT' };
      e.traffic = { strategy: 'blue-green', router: { type } };
    });
    expect(refusal(() => createTrafficRouter(slotted, executor))).toMatchObject({ code: 'REWIND_E_CONFIG_INVALID', message: expect.stringContaining('traffic.router.type: ') });
    expect(refusal(() => createMetricSource({ type }))).toMatchObject({ code: 'REWIND_E_CONFIG_INVALID', message: expect.stringContaining('watch.source.type: ') });
  });

  it('is not a migration tool', async () => {
    const error = await rejection(listMigrationFiles(type as MigrationTool, '/nonexistent'));
    expect(error).toMatchObject({ code: 'REWIND_E_CONFIG_INVALID', message: expect.stringContaining(`database.migrations.tool: ${JSON.stringify(type)} is not a tool rewind knows`) });
  });
});
