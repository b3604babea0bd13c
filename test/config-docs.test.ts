import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/config-schema.js';
import { interpolateEnv } from '../src/config/interpolate.js';
import { parseConfigText } from '../src/config/load-config.js';
import { MIGRATION_TOOL_NAMES } from '../src/config/config-schema.js';
import { listMigrationFiles } from '../src/migrations/migration-files.js';

// docs/config.md documents every key of the config schema; this walks the schema (as the JSON Schema
// `rewind config schema` prints) and holds the reference tables to it, so the two cannot drift.

const DOC = readFileSync(join(import.meta.dirname, '..', 'docs', 'config.md'), 'utf8');

interface JsonSchema {
  type?: string | string[];
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

interface KeyInfo {
  /** One entry per schema branch (e.g. per runtime type) that defines the key. */
  variants: { schema: JsonSchema; required: boolean }[];
}

/** Every key path of the schema; map entries (environment names) appear as `<name>`. */
function keyPaths(root: JsonSchema): Map<string, KeyInfo> {
  const out = new Map<string, KeyInfo>();
  const visit = (schema: JsonSchema, path: string, required: boolean) => {
    if (path) {
      const info = out.get(path) ?? { variants: [] };
      info.variants.push({ schema, required });
      out.set(path, info);
    }
    // A discriminated union (target types, runtime types) contributes the keys of every branch.
    for (const branch of [schema, ...(schema.oneOf ?? [])]) {
      for (const [key, child] of Object.entries(branch.properties ?? {})) {
        visit(child, path ? `${path}.${key}` : key, branch.required?.includes(key) ?? false);
      }
      // A map whose values are objects with keys of their own (environments) is walked through
      // `<name>`; maps of plain values (runtime.env, health.headers, health.json) are leaves.
      const entry = branch.additionalProperties;
      if (entry && typeof entry === 'object' && (entry.properties || entry.oneOf)) visit(entry, `${path}.<name>`, false);
    }
  };
  visit(root, '', false);
  return out;
}

interface Row {
  key: string;
  type: string;
  defaultValue: string;
  meaning: string;
  example: string;
}

/** The five-column rows of the reference tables: | `key` | type | default | meaning | example |. */
function referenceRows(markdown: string): Row[] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.slice(1, -1).split(' | ').map((cell) => cell.trim()))
    .filter((cells) => cells.length === 5)
    .map(([key, type, defaultValue, meaning, example]) => ({ key: key!.replace(/^`|`$/g, ''), type: type!, defaultValue: defaultValue!, meaning: meaning!, example: example! }));
}

const render = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

describe('docs/config.md documents every key of the config schema', () => {
  const schema = z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchema;
  const keys = keyPaths(schema);
  const rows = referenceRows(DOC);
  const byKey = new Map(rows.map((row) => [row.key, row]));

  it('the schema walk finds every level of the schema (so the checks below are not vacuous)', () => {
    expect(keys.size).toBeGreaterThanOrEqual(40);
    for (const key of [
      'version',
      'log.file',
      'environments.<name>',
      'environments.<name>.target.keep',
      'environments.<name>.target.runtime.instances',
      'environments.<name>.target.runtime.reload',
      'environments.<name>.health.retries',
      'environments.<name>.deploy.autoRollback',
      'environments.<name>.lock.ttlMs',
    ]) {
      expect(keys.has(key), key).toBe(true);
    }
    // Maps of plain values are leaves: their entries are the user's, not schema keys.
    expect([...keys.keys()].filter((k) => k.includes('.env.') || k.includes('.headers.') || k.includes('.json.'))).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it('has a reference row for every key path', () => {
    const missing = [...keys.keys()].filter((key) => !byKey.has(key));
    expect(missing, `keys missing from docs/config.md`).toEqual([]);
    // and mentions each one literally, in backticks
    for (const key of keys.keys()) expect(DOC).toContain(`\`${key}\``);
  });

  it('documents no key the schema does not have, and no key twice', () => {
    expect(rows.filter((row) => !keys.has(row.key)).map((row) => row.key)).toEqual([]);
    expect(rows.length).toBe(byKey.size);
  });

  it('gives each key its schema default, or says it is required, or that it has none', () => {
    for (const [key, { variants }] of keys) {
      const row = byKey.get(key)!;
      const defaults = [...new Set(variants.filter((v) => 'default' in v.schema).map((v) => render(v.schema.default)))];
      if (defaults.length === 1 && variants.every((v) => 'default' in v.schema)) {
        expect(row.defaultValue, key).toBe(`\`${defaults[0]}\``);
      } else if (defaults.length > 0) {
        // Branches (e.g. database engines) differ: each default is named, with its branch.
        for (const value of defaults) expect(row.defaultValue, key).toContain(`\`${value}\``);
      } else if (variants.some((v) => v.required)) {
        expect(row.defaultValue, key).toMatch(/^required\b/);
      } else {
        expect(row.defaultValue, key).toMatch(/^— /);
      }
    }
  });

  it('names the JSON type of each key', () => {
    for (const [key, { variants }] of keys) {
      const row = byKey.get(key)!;
      for (const { schema: s } of variants) {
        if (typeof s.type === 'string') expect(row.type, key).toContain(s.type);
        if (s.oneOf) expect(row.type, key).toMatch(/object \(one of/);
      }
    }
  });

  it('explains each key and gives a YAML example of it', () => {
    for (const row of rows) {
      expect(row.meaning.length, row.key).toBeGreaterThan(15);
      const example = /^`(.+)`$/.exec(row.example)?.[1];
      expect(example, `${row.key}: example must be inline code`).toBeDefined();
      const parsed = parseYaml(example!) as Record<string, unknown>;
      expect(typeof parsed, row.key).toBe('object');
      const last = row.key.split('.').at(-1)!;
      if (last !== '<name>') expect(Object.keys(parsed), row.key).toEqual([last]);
    }
  });
});

describe('docs/config.md examples and statements hold', () => {
  const yamlBlocks = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const env = { REWIND_LEDGER_PASSWORD: 'pw-for-docs-test', STRIPE_SECRET_KEY: 'sk-docs-test', OPERATOR_TOKEN: 'op-docs-test', HEALTH_TOKEN: 'health-docs-test', DB_PASSWORD: 'db-docs-test' };
  const minimalEnv = (inner: string) => `environments:\n  docs:\n${inner.replace(/^/gm, '    ')}`;
  const minimalTarget = `target:\n  type: releases\n  path: /srv/docs\n  runtime: { type: pm2, name: docs }\n`;

  it('every YAML example is a valid config (or a valid part of one)', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(5);
    for (const block of yamlBlocks) {
      let text: string;
      if (block.startsWith('version:')) text = block;
      else if (block.startsWith('runtime:')) text = minimalEnv(`target:\n  type: releases\n  path: /srv/docs\n${block.replace(/^/gm, '  ')}`);
      else if (block.startsWith('health:') || block.startsWith('database:')) text = minimalEnv(`${minimalTarget}${block}`);
      else throw new Error(`unrecognised example in docs/config.md:\n${block}`);
      expect(() => parseConfigText(text, '/etc/rewind', env), block).not.toThrow();
    }
    const full = parseConfigText(yamlBlocks[0]!, '/etc/rewind', env);
    expect(Object.keys(full.environments)).toEqual(['production', 'staging']);
    expect(full.environments.production!.target.runtime.type).toBe('pm2');
    expect(full.environments.staging!.target.runtime.type).toBe('command');
  });

  it('documents interpolation, the placeholders and the coded error', () => {
    for (const text of ['${VAR}', '${VAR:-default}', '$${', '{release_dir}', '{current_dir}', '{version}', 'REWIND_E_CONFIG_ENV_MISSING', 'REWIND_E_CONFIG_INVALID', 'REWIND_E_CONFIG_YAML']) {
      expect(DOC).toContain(text);
    }
  });

  it('the variable names it calls secret are returned as secrets', () => {
    const words = /contains `TOKEN`, `SECRET`, `PASSW`,\s+`KEY`, `CREDENTIAL`, `AUTH`, `DSN`, `DATABASE_URL`, `WEBHOOK` or `PRIVATE`, or ends in `PASS`/;
    expect(DOC).toMatch(words);
    for (const name of ['MY_TOKEN', 'APP_SECRET', 'DB_PASSWORD', 'API_KEY', 'GCP_CREDENTIALS', 'BASIC_AUTH', 'LEDGER_PASS', 'my_token', 'SENTRY_DSN', 'DATABASE_URL', 'SLACK_WEBHOOK_URL', 'PRIVATE_PEM']) {
      expect(interpolateEnv({ a: `\${${name}}` }, { [name]: 'value-1234' }).secrets, name).toEqual(['value-1234']);
    }
    expect(interpolateEnv({ a: '${PORT}' }, { PORT: '3000' }).secrets).toEqual([]);
  });

  it('the paths it says are resolved against the config directory are, and the others are not', () => {
    const config = parseConfigText(
      `ledger: db/rewind.db\nlog: { file: logs/events.log }\nenvironments:\n  a:\n    target:\n      type: releases\n      path: srv\n      runtime: { type: pm2, name: a, pm2Home: pm2, script: dist/main.js }\n    smoke: { suite: smoke/minimal.yaml }\n    database:\n      engine: postgres\n      url: postgres://db/app\n      migrations: { tool: prisma, dir: prisma/migrations, apply: [npx, prisma, migrate, deploy] }\n      pitr: { archiveDir: wal }\n`,
      '/etc/rewind',
      {},
    );
    expect(config.ledger).toBe('/etc/rewind/db/rewind.db');
    expect(config.log.file).toBe('/etc/rewind/logs/events.log');
    expect(config.environments.a!.target.path).toBe('/etc/rewind/srv');
    expect(config.environments.a!.target.runtime).toMatchObject({ pm2Home: '/etc/rewind/pm2', script: 'dist/main.js' });
    expect(config.environments.a!.smoke!.suite).toBe('/etc/rewind/smoke/minimal.yaml');
    const database = config.environments.a!.database!;
    expect(database.migrations!.dir).toBe('prisma/migrations'); // relative to the release directory
    expect(database.engine === 'postgres' && database.pitr).toMatchObject({ archiveDir: '/etc/rewind/wal', baseBackupDir: '/etc/rewind/backups/a/base', restoreDir: '/etc/rewind/backups/a/pitr' });
  });
});

describe('docs/config.md: where each migration tool\'s up and down files are', () => {
  const section = DOC.slice(DOC.indexOf("## Migrations: where each tool's up and down files are"));
  const trees = new Map([...section.matchAll(/^#### `([a-z-]+)`\n\n```text\n([\s\S]*?)```/gm)].map((m) => [m[1]!, m[2]!]));

  /** Builds the documented tree under `root`; returns the migrations dir and the files marked up and down. */
  function build(root: string, tree: string): { dir: string; up: string[]; down: string[] } {
    const [first, ...lines] = tree.trimEnd().split('\n');
    const dir = join(root, first!.trim());
    mkdirSync(dir, { recursive: true });
    const parents = [dir];
    const up: string[] = [];
    const down: string[] = [];
    for (const line of lines) {
      const depth = (line.length - line.trimStart().length) / 2;
      const [name, mark] = line.trim().split(/\s+/);
      const path = join(parents[depth - 1]!, name!);
      if (name!.endsWith('/')) {
        mkdirSync(path, { recursive: true });
        parents[depth] = path;
        continue;
      }
      writeFileSync(path, '-- docs tree\n');
      if (mark === 'up') up.push(path);
      if (mark === 'down') down.push(path);
    }
    return { dir, up, down };
  }

  it('gives every tool the code knows a row and a tree', () => {
    expect([...trees.keys()].sort()).toEqual([...MIGRATION_TOOL_NAMES].sort());
    for (const tool of MIGRATION_TOOL_NAMES) expect(section).toContain(`| \`${tool}\` |`);
  });

  it('each tree is read by the tool\'s layout exactly as documented: these ups, these downs, no others', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rewind-docs-layouts-'));
    try {
      for (const [tool, tree] of trees) {
        const { dir, up, down } = build(join(root, tool), tree);
        // Drizzle lists its migrations in a journal: the one for the documented .sql files.
        if (tool === 'drizzle') {
          const entries = up.map((path, index) => ({ idx: index, when: 1_700_000_000_000 + index, tag: basename(path, '.sql') }));
          writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify({ entries }));
        }
        const found = await listMigrationFiles(tool as (typeof MIGRATION_TOOL_NAMES)[number], dir);
        expect(found.map((m) => m.upPath).sort(), tool).toEqual([...up].sort());
        expect(found.flatMap((m) => (m.downPath ? [m.downPath] : [])).sort(), tool).toEqual([...down].sort());
        // The row says "never" exactly for the tools whose layout cannot find a down file.
        const row = section.split('\n').find((line) => line.startsWith(`| \`${tool}\` |`))!;
        expect(row.includes('| never', 0), tool).toBe(down.length === 0);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
