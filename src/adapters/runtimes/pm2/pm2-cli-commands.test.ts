import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pm2RuntimeSchema } from './pm2-config.js';
import { appDeclaration, ecosystemPath, parseProbe, pm2Spec, probeArgv, writeEcosystemArgv } from './pm2-cli-commands.js';

const context = { currentDir: '/srv/shop/current', releaseDir: '/srv/shop/releases/1.0.0', version: '1.0.0' };

describe('the pm2 command line on a host: argv and what the host answers (no host needed)', () => {
  it('declares the app through the link, as the local runtime does, next to current', () => {
    const config = pm2RuntimeSchema.parse({ type: 'pm2', name: 'shop', execMode: 'fork', instances: 2, env: { PORT: '3000' } });
    expect(ecosystemPath(context, 'shop')).toBe('/srv/shop/.rewind-pm2-shop.json');
    expect(appDeclaration(config, context)).toMatchObject({ name: 'shop', script: '/srv/shop/current/server.js', cwd: '/srv/shop/current', exec_mode: 'fork', instances: 2, env: { PORT: '3000' } });
    expect(pm2Spec(config, ['pm2', 'stop', 'shop'], 1000)).toEqual({ argv: ['pm2', 'stop', 'shop'], timeoutMs: 1000 });
    expect(pm2Spec({ ...config, pm2Home: '/home/deploy/.pm2' }, ['pm2'], 1000).env).toEqual({ PM2_HOME: '/home/deploy/.pm2' });
  });

  it('passes values to its fixed scripts as parameters: a path or JSON with quotes and $ reaches the file as it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eco-'));
    const json = JSON.stringify({ env: { X: `it's "$HOME" \`id\`` } });
    const [program, ...args] = writeEcosystemArgv(join(dir, 'eco.json'), json);
    const written = spawnSync(program!, args, { encoding: 'utf8' });
    expect(written.status, written.stderr).toBe(0);
    expect(readFileSync(join(dir, 'eco.json'), 'utf8')).toBe(`${json}\n`);
    expect(statSync(join(dir, 'eco.json')).mode & 0o777).toBe(0o600);
    rmSync(dir, { recursive: true, force: true });
    expect(probeArgv('/opt/pm2 bin', '/srv/shop/current').slice(-3)).toEqual(['/opt/pm2 bin', '/srv/shop/current', '']);
  });

  it('reads the app\'s live processes (cluster and fork), where current resolves, and jlist', () => {
    const view = parseProbe(
      [
        'daemon:100',
        'current:/srv/shop/releases/2.0.0',
        'cwd:201 /srv/shop/releases/2.0.0',
        `env:201 pm2_env=${JSON.stringify({ name: 'shop', pm_id: 0 })}`,
        'cwd:202 /srv/shop/releases/1.0.0 (deleted)',
        'env:202 name=shop',
        'env:202 pm_id=1',
        'cwd:203 /srv/other',
        'env:203 name=other',
        'env:203 pm_id=2',
        'cwd:204 /root',
        `jlist:${JSON.stringify([{ name: 'shop', pm_id: 0, pm2_env: { status: 'online' } }, { name: 'other', pm_id: 2, pm2_env: { status: 'stopped' } }])}`,
      ].join('\n'),
      'shop',
    );
    expect(view).toEqual({
      daemon: true,
      procfs: true,
      current: '/srv/shop/releases/2.0.0',
      live: [
        { pid: 201, dir: '/srv/shop/releases/2.0.0' },
        { pid: 202, dir: '/srv/shop/releases/1.0.0' },
      ],
      listed: [
        { name: 'shop', status: 'online' },
        { name: 'other', status: 'stopped' },
      ],
    });
    expect(parseProbe('daemon:\n', 'shop')).toMatchObject({ daemon: false, live: [], listed: null });
    expect(() => parseProbe('daemon:1\njlist:{"not":"a list"}', 'shop')).toThrow(/did not print a list/);
  });
});
