import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pm2InstallAdvice } from './pm2-install-command.js';
import { PACKAGE_NAME, packageRoot } from '../../../util/package-root.js';

// Real directory layouts, as npm makes them, for each way rewind can be installed.
const base = mkdtempSync(join(tmpdir(), 'rewind-pm2-advice-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function installedAt(...parts: string[]): string {
  const dir = join(base, ...parts, 'node_modules', PACKAGE_NAME);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: PACKAGE_NAME }));
  return dir;
}

describe('pm2InstallAdvice', () => {
  it('global install in node\'s own prefix (npm\'s default): npm install -g pm2', () => {
    const prefix = join(base, 'usr');
    const advice = pm2InstallAdvice(installedAt('usr', 'lib'), prefix);
    expect(advice).toEqual({ argv: ['npm', 'install', '-g', 'pm2'], text: `rewind is installed globally in ${prefix}: install PM2 beside it with \`npm install -g pm2\`` });
  });

  it('global install in another prefix: names that prefix, quoted for a shell when it needs it', () => {
    const prefix = join(base, "opt tools", "ops's");
    const advice = pm2InstallAdvice(installedAt("opt tools", "ops's", 'lib'), '/usr');
    expect(advice.argv).toEqual(['npm', 'install', '-g', '--prefix', prefix, 'pm2']);
    expect(advice.text).toContain(`install PM2 beside it with \`npm install -g --prefix '${prefix.replaceAll("'", "'\\''")}' pm2\``);
  });

  it('project-local install: npm install --save-dev pm2 in that project', () => {
    const project = join(base, 'shop');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), '{"name":"shop"}');
    const advice = pm2InstallAdvice(installedAt('shop'), '/usr');
    expect(advice).toEqual({ argv: ['npm', 'install', '--save-dev', 'pm2'], cwd: project, text: `rewind is installed in the project ${project}: run \`npm install --save-dev pm2\` there` });
  });

  it('npx cache: only --package adds PM2 to it', () => {
    const cache = join(base, 'home', '.npm', '_npx', '0a1b2c');
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, 'package.json'), '{}');
    const advice = pm2InstallAdvice(installedAt('home', '.npm', '_npx', '0a1b2c'), '/usr');
    expect(advice.argv).toBeNull();
    expect(advice.text).toContain(`\`npx --package ${PACKAGE_NAME} --package pm2 rewind …\``);
  });

  it('a checkout of rewind (this one): npm install there, PM2 being a dev dependency', () => {
    const root = packageRoot();
    expect(pm2InstallAdvice(root, '/usr')).toEqual({ argv: ['npm', 'install'], cwd: root, text: `this is a checkout of rewind (${root}), where PM2 is a dev dependency: run \`npm install\` there` });
  });
});
