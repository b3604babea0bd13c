import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { observedReleasesTarget } from '../adapters/targets/releases/releases-observer.js';
import { loadKnownValidConfig } from './known-valid-config.js';
import { loadConfig } from './load-config.js';

const CONFIG = `ledger: \${LEDGER_FILE:-./state/rewind.db}
environments:
  production:
    target: { type: releases, path: /srv/app, runtime: { type: pm2, name: app } }
    health: { url: "http://127.0.0.1:3000/health", headers: { x-operator-token: "\${OPERATOR_TOKEN}" } }
`;

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-known-valid-'));
  made.push(dir);
  const path = join(dir, 'rewind.yaml');
  writeFileSync(path, CONFIG);
  const env = { XDG_CACHE_HOME: join(dir, 'cache'), OPERATOR_TOKEN: 'op-token-1234' };
  return { dir, path, env };
}

describe('the validated-config stamp (status without the schema library)', () => {
  it('knows nothing until the config was validated in full; then reads the ledger and environments from the stamp', () => {
    const { dir, path, env } = fixture();
    expect(loadKnownValidConfig(path, env)).toBeNull();
    loadConfig(path, env);
    expect(loadKnownValidConfig(path, env)).toEqual({ ledger: join(dir, 'state', 'rewind.db'), drillMaxAgeDays: 90, environments: { production: { traffic: false, target: { type: 'releases', path: '/srv/app', runtime: { type: 'pm2', name: 'app' } } } } });
    // What status then looks at is the target adapter's to say (zod-free as well).
    expect(observedReleasesTarget(loadKnownValidConfig(path, env)!.environments.production!.target, dir, env)).toEqual({ path: '/srv/app', pm2: { home: join(homedir(), '.pm2'), name: 'app' } });
    // Only a digest is stored: no value, so no secret, ever reaches the cache.
    const stamps = readdirSync(join(dir, 'cache', 'rewind', 'valid-configs'));
    expect(stamps).toHaveLength(1);
    const stored = readFileSync(join(dir, 'cache', 'rewind', 'valid-configs', stamps[0]!), 'utf8');
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is void when the text or an interpolated variable changes, so an edited config is validated again', () => {
    const { path, env } = fixture();
    loadConfig(path, env);
    expect(loadKnownValidConfig(path, { ...env, OPERATOR_TOKEN: 'another-token' })).toBeNull();
    expect(loadKnownValidConfig(path, { ...env, LEDGER_FILE: '/var/lib/rewind.db' })).toBeNull();
    writeFileSync(path, CONFIG.replace('/srv/app', 12 as unknown as string));
    expect(loadKnownValidConfig(path, env)).toBeNull();
    expect(() => loadConfig(path, env)).toThrow(/target\.path/);
    // A failed validation leaves no stamp for the broken text.
    expect(loadKnownValidConfig(path, env)).toBeNull();
  });

  it('REWIND_CONFIG_CACHE=off neither writes nor reads stamps', () => {
    const { dir, path, env } = fixture();
    loadConfig(path, { ...env, REWIND_CONFIG_CACHE: 'off' });
    expect(() => readdirSync(join(dir, 'cache'))).toThrow();
    loadConfig(path, env);
    expect(loadKnownValidConfig(path, { ...env, REWIND_CONFIG_CACHE: 'off' })).toBeNull();
  });
});
