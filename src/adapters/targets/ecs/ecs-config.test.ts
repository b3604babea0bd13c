import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../config/load-config.js';

const base = (extra = '') => `environments:
  production:
    target:
      type: ecs
      cluster: prod
      service: shop-web
      region: eu-west-1
${extra}`;

describe('ecs target config', () => {
  it('loads with its defaults and the state directory resolved against the config file, and no runtime', () => {
    const target = parseConfigText(base(), '/etc/rewind', {}).environments.production!.target;
    expect(target).toEqual({ type: 'ecs', cluster: 'prod', service: 'shop-web', region: 'eu-west-1', stateDir: '/etc/rewind/rewind-ecs/production', keep: 5, requireDigests: true, stableTimeoutMs: 600_000, pollMs: 15_000 });
  });

  it('refuses database.migrations (no release files), a runtime, a bad region and a non-URL endpoint', () => {
    expect(() => parseConfigText(base(`    database:\n      engine: sqlite\n      path: app.db\n      migrations: { tool: knex, dir: migrations, apply: [npx, knex, migrate:latest] }\n`), '/etc/rewind', {})).toThrow(/database\.migrations/);
    expect(() => parseConfigText(base('      runtime: { type: pm2, name: x }\n'), '/etc/rewind', {})).toThrow(/runtime/);
    expect(() => parseConfigText(base().replace('eu-west-1', 'EU West'), '/etc/rewind', {})).toThrow(/target\.region/);
    expect(() => parseConfigText(base('      endpoint: not a url\n'), '/etc/rewind', {})).toThrow(/target\.endpoint/);
  });
});
