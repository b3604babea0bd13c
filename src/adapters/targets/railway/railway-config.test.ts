import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../config/load-config.js';

const ids = { projectId: '7f3c2a10-8d4e-4b6a-9c1f-2e5d8a7b6c40', environmentId: '1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b', serviceId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' };
const base = (extra = '') => `environments:
  production:
    target:
      type: railway
      projectId: ${ids.projectId}
      environmentId: ${ids.environmentId}
      serviceId: ${ids.serviceId}
${extra}`;

describe('railway target config', () => {
  it('loads with its defaults and the state directory resolved against the config file', () => {
    const target = parseConfigText(base(), '/etc/rewind', {}).environments.production!.target;
    expect(target).toEqual({
      type: 'railway', ...ids, tokenEnv: 'RAILWAY_TOKEN', tokenType: 'project', stateDir: '/etc/rewind/rewind-railway/production', keep: 5,
      pollMs: 5000, deployTimeoutMs: 900_000, settleMs: 30_000, requestTimeoutMs: 15_000, attempts: 3, redeployWhenRollbackUnavailable: false,
    });
  });

  it('refuses an id that is not a UUID, a token in the config, database.migrations and a runtime', () => {
    expect(() => parseConfigText(base().replace(ids.serviceId, 'web'), '/etc/rewind', {})).toThrow(/target\.serviceId/);
    expect(() => parseConfigText(base('      token: abc\n'), '/etc/rewind', {})).toThrow(/token/);
    expect(() => parseConfigText(base('      tokenEnv: "not a name"\n'), '/etc/rewind', {})).toThrow(/target\.tokenEnv/);
    expect(() => parseConfigText(base('    database:\n      engine: sqlite\n      path: app.db\n      migrations: { tool: knex, dir: migrations, apply: [npx, knex, migrate:latest] }\n'), '/etc/rewind', {})).toThrow(/database\.migrations/);
    expect(() => parseConfigText(base('      runtime: { type: pm2, name: x }\n'), '/etc/rewind', {})).toThrow(/runtime/);
  });

  it('the complete example of docs/targets/railway.md is a valid config', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'targets', 'railway.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const target = parseConfigText(example, '/etc/rewind', {}).environments.production!.target;
    expect(target).toMatchObject({ type: 'railway', tokenEnv: 'RAILWAY_TOKEN', tokenType: 'project', pollMs: 10_000 });
  });
});
