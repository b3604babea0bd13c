import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../config/load-config.js';

const base = (extra = '') => `environments:
  production:
    target:
      type: compose
      project: shop
      files: [docker-compose.prod.yml]
      imageVariables: { api: API_IMAGE }
${extra}`;

describe('compose target config', () => {
  it('loads with files and the state directory resolved against the config file, and no runtime', () => {
    const config = parseConfigText(base(), '/etc/rewind', {});
    const target = config.environments.production!.target;
    expect(target).toMatchObject({ type: 'compose', project: 'shop', files: ['/etc/rewind/docker-compose.prod.yml'], stateDir: '/etc/rewind/rewind-compose/production', command: 'auto', keep: 5, requireDigests: false });
    expect('runtime' in target).toBe(false);
  });

  it('refuses database.migrations: they are read from release files, and compose releases are images', () => {
    const text = base(`    database:\n      engine: sqlite\n      path: app.db\n      migrations: { tool: knex, dir: migrations, apply: [npx, knex, migrate:latest] }\n`);
    expect(() => parseConfigText(text, '/etc/rewind', {})).toThrow(/environments\.production\.database\.migrations: migrations are read from a release's files, and this target has none on this machine \(compose, ecs, kubernetes and helm releases are images or charts\)/);
    // A database without migrations (backups, restores) is fine.
    expect(() => parseConfigText(base(`    database:\n      engine: sqlite\n      path: app.db\n`), '/etc/rewind', {})).not.toThrow();
  });

  it('refuses a project name Compose would not take, and a compose target with a runtime', () => {
    expect(() => parseConfigText(base().replace('project: shop', 'project: Shop!'), '/etc/rewind', {})).toThrow(/target\.project/);
    expect(() => parseConfigText(base('      runtime: { type: pm2, name: x }\n'), '/etc/rewind', {})).toThrow(/runtime/);
  });
});
