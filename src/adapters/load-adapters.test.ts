import { describe, expect, it } from 'vitest';
import type { Executor } from '../ports/executor.js';
import { loadAdapters, type EnvironmentAdapterConfigs } from './registry.js';

// Commands load only the platform adapters their config names: importing every target's SDK (the
// Kubernetes client alone takes about a second) slowed every deploy and rollback by that much.

const releases = { target: { type: 'releases', path: '/srv/app', keep: 5, runtime: { type: 'command', start: ['true'], reload: ['true'], zeroDowntime: false, timeoutMs: 1000 } } } as unknown as EnvironmentAdapterConfigs;
const kubernetes = { target: { type: 'kubernetes', namespace: 'shop', deployments: [{ name: 'app-api' }], keep: 5, rolloutTimeoutMs: 1000 } } as unknown as EnvironmentAdapterConfigs;
const executor = {} as Executor;

describe('loadAdapters for a config', () => {
  it('loads the targets its environments name and no other: another target type is a plain error, not a silent import', async () => {
    const adapters = await loadAdapters(['target', 'runtime', 'router'], [releases]);
    expect(adapters.createTarget(releases, executor).type).toBe('releases');
    expect(() => adapters.createTarget(kubernetes, executor)).toThrow(/the target adapters were not loaded/);
  });

  it('without environments, loads every adapter of the kinds asked for', async () => {
    const adapters = await loadAdapters(['target', 'runtime', 'router']);
    expect(() => adapters.createTarget(kubernetes, executor)).not.toThrow(/were not loaded/);
  });
});
