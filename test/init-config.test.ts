import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentSchema } from '../src/config/config-schema.js';
import { loadConfig } from '../src/config/load-config.js';
import { runCli } from './support/sandbox.js';

// `rewind init` writes what its help promises: every section an environment has, the optional ones
// commented out, and the file passes `rewind config check` as written — and still does with every
// commented section turned on the way the file says (remove the "# " in front of its lines).

const OPTIONAL = ['slots', 'smoke', 'watch', 'notify', 'database', 'state', 'flags', 'traffic', 'ci'];
const SECRETS = { DATABASE_URL: 'postgres://app:pw@127.0.0.1:5432/app', SLACK_WEBHOOK_URL: 'https://hooks.example.com/services/T0/B0/x' };

/** Turns on the commented section `key`: its `# key:` line and the deeper `#` lines under it lose their "# ". */
function turnOn(text: string, key: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^ *# ${key}:`).test(l));
  expect(start, `a commented "${key}:" section`).toBeGreaterThan(-1);
  const indent = /^( *)#/.exec(lines[start]!)![1]!;
  lines[start] = lines[start]!.replace(`${indent}# `, indent);
  for (let i = start + 1; i < lines.length && lines[i]!.startsWith(`${indent}#   `); i++) lines[i] = lines[i]!.replace(`${indent}# `, indent);
  return lines.join('\n');
}

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'rewind-init-'))));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('rewind init', () => {
  it('writes a file that passes `rewind config check` as is, with one environment and no optional section on', async () => {
    const file = join(dir, 'as-is.yaml');
    const init = await runCli(['init', '--config', file]);
    expect(init.code, init.stderr).toBe(0);
    const check = await runCli(['config', 'check', '--config', file], 60_000, { REWIND_CONFIG_CACHE: 'off' });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain(`${file} is valid`);
    const { config } = loadConfig(file, {});
    expect(Object.keys(config.environments)).toEqual(['production']);
    const production = config.environments.production!;
    for (const key of OPTIONAL.filter((k) => k !== 'slots')) expect(production[key as keyof typeof production], key).toBeUndefined();
  });

  it('holds every section of an environment, commented; each one turned on as the file says still passes config check', async () => {
    const file = join(dir, 'all-on.yaml');
    expect((await runCli(['init', '--config', file])).code).toBe(0);
    const written = await readFile(file, 'utf8');
    // The help promises the sections by name.
    const help = (await runCli(['init', '--help'])).stdout;
    for (const key of OPTIONAL) expect(help, key).toContain(key);
    let text = written;
    for (const key of OPTIONAL) text = turnOn(text, key);
    await writeFile(file, text);
    const check = await runCli(['config', 'check', '--config', file], 60_000, { ...SECRETS, REWIND_CONFIG_CACHE: 'off' });
    expect(check.code, check.stderr).toBe(0);
    const production = loadConfig(file, SECRETS).config.environments.production!;
    // Every section the schema knows is in the file: a new section without an init entry fails here.
    expect(Object.keys(production).sort()).toEqual(Object.keys(environmentSchema.shape).sort());
    expect(production.target.slots).toMatchObject({ blue: { port: 3001 }, green: { port: 3002 } });
    expect(production.smoke).toMatchObject({ timeoutMs: 5000 });
    expect(production.watch).toMatchObject({ windowMs: 180_000, errorRateThreshold: 0.05, source: { type: 'http-probe' } });
    expect(production.notify?.webhooks[0]).toMatchObject({ url: SECRETS.SLACK_WEBHOOK_URL, events: expect.arrayContaining(['rollback_start', 'watch_paused']) });
    expect(production.database).toMatchObject({ engine: 'postgres', url: SECRETS.DATABASE_URL, migrations: { tool: 'prisma' } });
    expect(production.traffic).toMatchObject({ strategy: 'blue-green', router: { type: 'haproxy' } });
  });
});
