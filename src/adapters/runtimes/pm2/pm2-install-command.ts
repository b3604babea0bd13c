import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { commandLine } from '../../../util/command-line.js';
import { PACKAGE_NAME, packageRoot } from '../../../util/package-root.js';

/**
 * Where PM2 has to go for this copy of rewind to load it, and the command that puts it there. PM2 is
 * an optional peer (AGPL-3.0, never bundled), loaded from the user's project, from next to rewind,
 * or from the global prefix (pm2-loader.ts); which of those is right depends on how rewind itself
 * was installed, which its own directory tells:
 * - `<prefix>/lib/node_modules/<name>` (Windows: `<prefix>/node_modules/<name>`): a global install;
 * - `<project>/node_modules/<name>` with `<project>/package.json`: a project-local install;
 * - `…/_npx/<hash>/node_modules/<name>`: npx's cache, which only `--package` adds to;
 * - anything else: a checkout of rewind, where PM2 is a dev dependency.
 */
export interface Pm2InstallAdvice {
  /** The command to run, or null when there is none to paste (npx: the user's own command changes). */
  argv: string[] | null;
  /** The directory to run it in, when that matters. */
  cwd?: string;
  /** One sentence for the error message: how rewind is installed and exactly what to run. */
  text: string;
}

export function pm2InstallAdvice(root: string = packageRoot(), nodePrefix: string = dirname(dirname(process.execPath))): Pm2InstallAdvice {
  const modules = dirname(root);
  if (basename(modules) !== 'node_modules') {
    return { argv: ['npm', 'install'], cwd: root, text: `this is a checkout of rewind (${root}), where PM2 is a dev dependency: run \`npm install\` there` };
  }
  const owner = dirname(modules);
  if (basename(dirname(owner)) === '_npx') {
    return { argv: null, text: `rewind runs from npx's cache (${owner}): add PM2 to it with \`npx --package ${PACKAGE_NAME} --package pm2 rewind …\`, or install both (README, Install)` };
  }
  if (existsSync(join(owner, 'package.json'))) {
    const argv = ['npm', 'install', '--save-dev', 'pm2'];
    return { argv, cwd: owner, text: `rewind is installed in the project ${owner}: run \`${commandLine(argv)}\` there` };
  }
  const prefix = basename(owner) === 'lib' ? dirname(owner) : owner;
  // npm's default global prefix is node's own; anywhere else, `-g` alone would put PM2 where rewind does not look.
  const argv = prefix === nodePrefix ? ['npm', 'install', '-g', 'pm2'] : ['npm', 'install', '-g', '--prefix', prefix, 'pm2'];
  return { argv, text: `rewind is installed globally in ${prefix}: install PM2 beside it with \`${commandLine(argv)}\`` };
}
