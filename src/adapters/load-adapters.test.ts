import { describe, expect, it, vi } from 'vitest';
import type { Executor } from '../ports/executor.js';
import { DATABASES, loadAdapters, METRIC_SOURCES, NOTIFIERS, type EnvironmentAdapterConfigs } from './registry.js';

// Commands load only the adapters their config names: importing every target's SDK (the Kubernetes
// client alone takes about a second) slowed every deploy and rollback by that much, and every other
// adapter no environment names is a chunk compiled for nothing at each start.

const releases = { target: { type: 'releases', path: '/srv/app', keep: 5, runtime: { type: 'command', start: ['true'], reload: ['true'], zeroDowntime: false, timeoutMs: 1000 } } } as unknown as EnvironmentAdapterConfigs;
const kubernetes = { target: { type: 'kubernetes', namespace: 'shop', deployments: [{ name: 'app-api' }], keep: 5, rolloutTimeoutMs: 1000 } } as unknown as EnvironmentAdapterConfigs;
const executor = {} as Executor;

describe('loadAdapters for a config', () => {
  it('loads the targets its environments name and no other: another target type is a plain error, not a silent import', async () => {
    const adapters = await loadAdapters(['target', 'runtime', 'router'], [releases]);
    expect(adapters.createTarget(releases, executor).type).toBe('releases');
    expect(() => adapters.createTarget(kubernetes, executor)).toThrow(/the target adapter kubernetes was not loaded/);
  });

  it('without environments, loads every adapter of the kinds asked for', async () => {
    const adapters = await loadAdapters(['target', 'runtime', 'router']);
    expect(() => adapters.createTarget(kubernetes, executor)).not.toThrow(/was not loaded/);
  });

  it('loads, for the environments it is given, only the adapters they name, of every kind', async () => {
    const loads = new Map([...DATABASES, ...METRIC_SOURCES, ...NOTIFIERS].map((d) => [d.name, vi.spyOn(d, 'load')]));
    const environment = {
      target: { type: 'compose', project: 'shop', files: ['docker-compose.yml'] },
      database: { engine: 'sqlite', path: '/srv/shop/app.db' },
      watch: { source: { type: 'http-probe', url: 'http://127.0.0.1:3000/' } },
      notify: { webhooks: [], slack: [{ webhookUrlEnv: 'SLACK_URL' }] },
    } as unknown as EnvironmentAdapterConfigs;
    try {
      const adapters = await loadAdapters(['database', 'metric-source', 'notifier'], [environment]);
      const called = [...loads].filter(([, spy]) => spy.mock.calls.length > 0).map(([name]) => name);
      expect(called.sort()).toEqual(['http-probe', 'slack', 'sqlite']);
      // Building one no environment names is a programming error that says what was not loaded.
      expect(() => adapters.createMetricSource({ type: 'prometheus', url: 'http://127.0.0.1:9090', queries: {} })).toThrow('the metric-source adapter prometheus was not loaded');
    } finally {
      for (const spy of loads.values()) spy.mockRestore();
    }
  });
});
