import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.js';
import { RewindError } from '../../src/errors/rewind-error.js';
import { redactor } from '../../src/util/redact.js';

// environments.<name>.database: defaults, path resolution, validation, and password redaction.
const env = (database: string) => `version: 1
environments:
  production:
    target:
      type: releases
      path: ./srv
      runtime:
        type: pm2
        name: app
    database:
${database}
`;

function problems(text: string, vars: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, '/etc/rewind', vars);
  } catch (error) {
    expect(error).toBeInstanceOf(RewindError);
    return (error as RewindError).details.problems as string[];
  }
  throw new Error('expected the config to be refused');
}

describe('database config', () => {
  it('fills defaults and resolves paths next to the config file', () => {
    const config = parseConfigText(env('      engine: postgres\n      url: postgres://app@db:5432/shop'), '/etc/rewind');
    expect(config.environments.production!.database).toEqual({
      engine: 'postgres',
      url: 'postgres://app@db:5432/shop',
      format: 'custom',
      compression: 'auto',
      jobs: 1,
      backupDir: '/etc/rewind/backups/production',
      backupLog: '/etc/rewind/ops/backups.log',
      retainDays: 7,
      keep: 5,
      criticalTables: [],
      driftCheck: true,
      timeoutMs: 3_600_000,
    });
    const sqlite = parseConfigText(env('      engine: sqlite\n      path: ./data/app.db\n      backupDir: /var/backups/app'), '/etc/rewind');
    expect(sqlite.environments.production!.database).toMatchObject({ path: '/etc/rewind/data/app.db', backupDir: '/var/backups/app' });
  });

  it('registers the URL password (interpolated or literal) for redaction', () => {
    parseConfigText(env('      engine: mysql\n      url: mysql://app:${DB_PASSWORD}@db:3306/shop'), '/etc/rewind', { DB_PASSWORD: 'p4ss-w0rd-interp' });
    expect(redactor.redact('x p4ss-w0rd-interp y')).toBe('x *** y');
    parseConfigText(env('      engine: postgres\n      url: postgres://app:lit3ral-pw@db/shop'), '/etc/rewind');
    expect(redactor.redact('lit3ral-pw')).toBe('***');
  });

  it('names the key at fault', () => {
    expect(problems(env('      engine: postgres'))).toEqual(['environments.production.database.url: required']);
    expect(problems(env('      engine: postgres\n      url: postgres://db/x\n      jobs: 4'))).toEqual(['environments.production.database.jobs: jobs > 1 needs format: directory']);
    // The keys listed are the sqlite engine's: a SQLite database is a path, it has no url.
    expect(problems(env('      engine: sqlite\n      path: a.db\n      url: postgres://x/y'))).toEqual([
      'environments.production.database.url: unknown key (known here: engine, path, migrations, driftCheck, backupDir, backupLog, retainDays, keep, criticalTables, timeoutMs)',
    ]);
    expect(problems(env('      engine: oracle')).join()).toContain('environments.production.database.engine');
    expect(problems(env('      engine: mysql\n      url: postgres://x/y')).join()).toContain('environments.production.database.url');
  });
});
