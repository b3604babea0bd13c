import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ciChecksSchema, databaseSchema, environmentSchema, stateStoreSchema, targetSchema, watchSettingsSchema, trafficSettingsSchema, notifySettingsSchema } from '../config/config-schema.js';
import { runtimeSchema } from './runtimes/runtime-config.js';
import { CI_CHECKS, DATABASES, METRIC_SOURCES, NOTIFIERS, ROUTERS, RUNTIMES, STATE_STORES, TARGETS } from './registry.js';

// The registry and the config schema list the same adapters: every definition's schema is a branch
// of its union and every branch belongs to a definition, so adding one to either without the other fails here.

type Schema = { _zod: { def: { options?: Schema[]; shape?: Record<string, Schema>; innerType?: Schema; element?: Schema; type: string } } };
const def = (s: unknown) => (s as Schema)._zod.def;
const unwrap = (s: unknown): Schema => {
  let current = s as Schema;
  while (def(current).innerType) current = def(current).innerType!;
  return current;
};
const options = (union: unknown) => new Set(def(unwrap(union)).options ?? [unwrap(union)]);
const field = (object: unknown, key: string) => def(unwrap(object)).shape![key];

describe('the adapter registry', () => {
  it.each([
    ['target', TARGETS, targetSchema],
    ['runtime', RUNTIMES, runtimeSchema],
    ['database', DATABASES, databaseSchema],
    ['metric source', METRIC_SOURCES, field(watchSettingsSchema, 'source')],
    ['router', ROUTERS, field(trafficSettingsSchema, 'router')],
    ['state store', STATE_STORES, stateStoreSchema],
    ['CI system', CI_CHECKS, ciChecksSchema],
  ] as const)('has one definition per branch of the %s schema', (_kind, definitions, union) => {
    expect(new Set(definitions.map((d) => d.configSchema))).toEqual(options(union));
  });

  it('has one definition per notifier list of notify:, under its configKey', () => {
    const lists = Object.entries(def(unwrap(notifySettingsSchema)).shape!).filter(([, schema]) => def(unwrap(schema)).type === 'array');
    expect(new Set(NOTIFIERS.map((d) => d.configKey))).toEqual(new Set(lists.map(([key]) => key)));
    for (const d of NOTIFIERS) expect(def(unwrap(field(notifySettingsSchema, d.configKey))).element, d.name).toBe(d.configSchema);
  });

  it('names each definition once within its kind', () => {
    for (const definitions of [TARGETS, RUNTIMES, DATABASES, METRIC_SOURCES, ROUTERS, NOTIFIERS, STATE_STORES, CI_CHECKS]) {
      const names = definitions.map((d) => d.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('lets a definition that shares its type with another say which configs it takes (listed first)', () => {
    const releases = TARGETS.filter((d) => d.type === 'releases');
    expect(releases.map((d) => d.name)).toEqual(['slotted-releases', 'ssh-fleet', 'releases']);
    expect(releases[0]!.matches).toBeDefined();
    expect(releases[1]!.matches).toBeDefined();
    expect(environmentSchema).toBeDefined();
  });

  it('loads no adapter implementation with the definitions: each folder imports its code only in load()', () => {
    const root = join(import.meta.dirname);
    const definitionFiles: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/-(definition|config)\.ts$/.test(name)) definitionFiles.push(path);
      }
    };
    walk(root);
    expect(definitionFiles.length).toBeGreaterThanOrEqual(20);
    for (const file of definitionFiles) {
      const staticImports = [...readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^']+)'/gm)].map((m) => m[1]!);
      // Static imports reach only schemas, constants, ports and small helpers: never a module that implements an adapter.
      for (const spec of staticImports) expect(spec, relative(root, file)).toMatch(/(^zod$|^node:path$|-config\.js$|-constants\.js$|-name\.js$|\/config\/parts\/[a-z-]+\.js$|database-paths\.js$|\/events\/event-catalog\.js$|runtime-config\.js$)/);
    }
  });
});
