#!/usr/bin/env node
// The package check CI runs (through test/package-install.test.ts): what `npm pack` makes must install
// and work on a machine that has nothing but Node and npm. It packs the built tree, installs the
// tarball globally into an empty prefix (production dependencies only: no TypeScript, no dev
// dependencies, better-sqlite3 built or fetched by its own install script), and from an unrelated
// empty directory runs `rewind --version`, `init`, `config check` and `demo` by the installed bin:
// first without PM2 (a coded error naming the install command), then after running exactly that
// command. A project-local install of the same tarball does the same through `npx rewind …`, with
// the README's commands.
// Every child gets an argv array, never a shell string. Everything lands in one temp directory
// (TMPDIR and HOME of the children point into it), which is removed at the end, and no process may
// outlive the check. Exit 0 and a JSON summary as the last stdout line, or exit 1 and what failed.
//
// better-sqlite3's install script (prebuild-install) downloads a prebuilt addon from GitHub, or
// compiles one (a minute or more here) when it cannot. So that the check stays offline-capable and
// quick, it hands that script the addon this checkout's own `npm ci` built, through prebuild-install's
// local-prebuilds directory: the same install path as a download. --build-from-source compiles it
// instead, as a machine that cannot reach GitHub does.
//
// Usage: npm run build && node scripts/check-package.mjs [--build-from-source]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const started = performance.now();
const steps = [];

class CheckFailed extends Error {}

function fail(step, why, result) {
  const output = result ? `\n--- exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}` : '';
  throw new CheckFailed(`${step}: ${why}${output}`);
}

/** npm run and vitest export npm_* variables (npm_config_local_prefix names this checkout); none may leak into the children. */
function cleanEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && !['NODE_PATH', 'PM2_HOME', 'INIT_CWD', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME'].includes(key)));
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

/** Runs argv; resolves with its exit and output whatever they are. Bounded: a hung child is killed. */
function run(argv, { cwd, env, timeoutMs = 180_000 }) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => (stderr += `\n${error.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function step(name, fn) {
  const t0 = performance.now();
  const detail = await fn();
  const ms = Math.round(performance.now() - t0);
  steps.push({ step: name, ms, ...(detail ?? {}) });
  process.stderr.write(`  ✓ ${name} (${ms} ms)\n`);
}

function expectExit(name, result, code) {
  if (result.code !== code) fail(name, `exit ${result.code}, expected ${code}`, result);
}

function expectIncludes(name, result, stream, text) {
  if (!result[stream].includes(text)) fail(name, `${stream} does not include ${JSON.stringify(text)}`, result);
}

/** The coded error `--json` prints on stdout. */
function jsonError(name, result) {
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line).error;
  } catch {
    return fail(name, 'stdout does not end with a JSON error line', result);
  }
}

/** Processes whose command line or working directory lies in `dir`: what the check started and left running. */
function processesUnder(dir) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // a process that just ended, or one we may not inspect
      }
      if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) found.push({ pid: Number(entry), cmdline });
    } catch {
      // gone between readdir and read
    }
  }
  return found;
}

/**
 * A prebuild-install archive of the better-sqlite3 addon in this checkout's node_modules, named as
 * its download would be (`<name>-v<version>-node-v<abi>-<platform><libc>-<arch>.tar.gz`), in a
 * directory for prebuild-install's `<package>_local_prebuilds` setting. null: no built addon here.
 * A tarball install resolving another version finds no archive of its name and compiles.
 */
async function localPrebuilt() {
  const source = join(root, 'node_modules', 'better-sqlite3');
  if (!existsSync(join(source, 'build', 'Release', 'better_sqlite3.node'))) return null;
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const libc = process.platform === 'linux' && !process.report.getReport().header.glibcVersionRuntime ? 'musl' : '';
  const file = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}.tar.gz`;
  const dir = join(work, 'prebuilds');
  mkdirSync(dir);
  const result = await run(['tar', '-czf', join(dir, file), '-C', source, 'build/Release/better_sqlite3.node'], { cwd: work, env: npmEnv });
  expectExit('prebuilt addon archive', result, 0);
  return { env: 'npm_config_better_sqlite3_local_prebuilds', dir, file };
}

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('check-package: dist/cli/main.js is missing; run `npm run build` first\n');
  process.exit(1);
}

// Short names all the way down: the demos' PM2 daemons bind Unix sockets under their TMPDIR, and a
// socket path holds at most 107 bytes, however deep the caller's TMPDIR already is (the suite's is).
const work = mkdtempSync(join(tmpdir(), 'chk-'));
const prefix = join(work, 'prefix');
const elsewhere = join(work, 'elsewhere'); // unrelated to this checkout and to the install
const project = join(work, 'project'); // a user's project with rewind as a dev dependency
const home = join(work, 'home');
const childTmp = join(work, 't');
for (const dir of [prefix, elsewhere, project, home, childTmp]) mkdirSync(dir);
// npm keeps its real cache (HOME stays for npm): installs are served from it when it holds the packages.
const npmEnv = cleanEnv({ TMPDIR: childTmp });
// rewind gets an empty HOME (its config-check cache, PM2's defaults) and a TMPDIR (the demo's
// sandbox) inside work/: one for the global install and one for the project's, which run side by side.
const globalTmp = join(childTmp, 'g');
const projectTmp = join(childTmp, 'p');
for (const dir of [globalTmp, projectTmp]) mkdirSync(dir);
const rewindEnv = cleanEnv({ HOME: home, TMPDIR: globalTmp });
const projectRewindEnv = cleanEnv({ HOME: home, TMPDIR: projectTmp });
const rewind = join(prefix, 'bin', 'rewind');
const npmInstallFlags = ['--prefer-offline', '--no-audit', '--no-fund'];
const buildFromSource = process.argv.includes('--build-from-source');
let tarball = '';
let ok = false;

try {
  process.stderr.write(`check-package: ${pkg.name}@${pkg.version} in ${work}\n`);

  // --ignore-scripts: `prepare` would rebuild dist/ (removing its chunks) under the feet of tests
  // running the CLI in parallel; the caller built it, and the checks below show the tarball works.
  await step('npm pack', async () => {
    const result = await run(['npm', 'pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, env: npmEnv });
    expectExit('npm pack', result, 0);
    const [packed] = JSON.parse(result.stdout);
    const files = packed.files.map((f) => f.path);
    for (const needed of ['package.json', 'dist/cli/main.js', 'dist/cli/rewind.cjs', 'dist/cli/lint-worker.cjs', 'examples/sample-app/server.js', 'examples/smoke/minimal.yaml', 'docs/errors.md', 'README.md']) {
      if (!files.includes(needed)) fail('npm pack', `the tarball lacks ${needed}`);
    }
    const stray = files.filter((f) => /^(src|test|scripts|bench|dist-bench|dist\/bench|node_modules)\//.test(f) || /\.test\.[jt]s$/.test(f));
    if (stray.length > 0) fail('npm pack', `the tarball holds files users do not need: ${stray.slice(0, 5).join(', ')}`);
    if (packed.name !== pkg.name) fail('npm pack', `packed ${packed.name}, expected ${pkg.name}`);
    tarball = join(work, packed.filename);
    return { files: files.length, bytes: packed.size };
  });

  if (!buildFromSource) {
    await step('prebuilt better-sqlite3 addon from this checkout', async () => {
      const prebuilt = await localPrebuilt();
      if (prebuilt) npmEnv[prebuilt.env] = prebuilt.dir;
      return { prebuilt: prebuilt?.file ?? null };
    });
  }

  // The global install and the project one side by side (npm's cache takes concurrent users; each
  // may spend minutes compiling better-sqlite3 when no prebuilt addon is at hand).
  // Both run to their end before the clean-up, whichever fails: nothing may start after it.
  const outcomes = await Promise.allSettled([globalChecks(), projectChecks()]);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  ok = true;
} catch (error) {
  process.stderr.write(`check-package: FAILED ${error instanceof CheckFailed ? error.message : error.stack}\n`);
} finally {
  await cleanUp();
}

async function globalChecks() {
  await step('npm install -g --prefix <empty prefix> <tarball>', async () => {
    // --allow-scripts, as the README gives it: npm 11.16+ lists install scripts nobody allowed and
    // npm 12 skips them; better-sqlite3's fetches or builds its native addon. (npm 10 ignores the flag.)
    const result = await run(['npm', 'install', '--global', '--prefix', prefix, ...npmInstallFlags, `--allow-scripts=better-sqlite3`, tarball], { cwd: elsewhere, env: npmEnv, timeoutMs: 300_000 });
    expectExit('global install', result, 0);
    if (/install-scripts .*better-sqlite3/.test(result.stderr)) fail('global install', 'npm still lists better-sqlite3\'s install script as not allowed', result);
    if (!existsSync(rewind)) fail('global install', `no bin at ${rewind}`, result);
    if (existsSync(join(prefix, 'lib', 'node_modules', 'pm2'))) fail('global install', 'PM2 was installed with rewind: it must stay an optional peer', result);
    const addonDir = join(prefix, 'lib', 'node_modules', pkg.name, 'node_modules', 'better-sqlite3', 'build');
    if (!existsSync(join(addonDir, 'Release', 'better_sqlite3.node'))) fail('global install', 'better-sqlite3 has no native addon: its install script did not run', result);
    // node-gyp leaves its object files next to the addon; an unpacked prebuilt archive has none.
    const addonSource = existsSync(join(addonDir, 'Release', 'obj.target')) ? 'compiled from source' : 'prebuilt';
    for (const dev of ['typescript', 'vitest', 'esbuild', 'tsx']) {
      if (existsSync(join(prefix, 'lib', 'node_modules', pkg.name, 'node_modules', dev))) fail('global install', `the dev dependency ${dev} was installed`, result);
    }
    return { betterSqlite3: addonSource };
  });

  await step('rewind --version', async () => {
    const result = await run([rewind, '--version'], { cwd: elsewhere, env: rewindEnv });
    expectExit('rewind --version', result, 0);
    if (result.stdout !== `${pkg.version}\n`) fail('rewind --version', `printed ${JSON.stringify(result.stdout)}, expected ${pkg.version}`, result);
  });

  await step('rewind init', async () => {
    const result = await run([rewind, 'init'], { cwd: elsewhere, env: rewindEnv });
    expectExit('rewind init', result, 0);
    expectIncludes('rewind init', result, 'stdout', `wrote ${join(elsewhere, 'rewind.yaml')}`);
    if (!readFileSync(join(elsewhere, 'rewind.yaml'), 'utf8').includes('type: pm2')) fail('rewind init', 'rewind.yaml is not the starter config', result);
  });

  await step('rewind config check', async () => {
    const result = await run([rewind, 'config', 'check'], { cwd: elsewhere, env: rewindEnv });
    expectExit('rewind config check', result, 0);
    expectIncludes('rewind config check', result, 'stdout', `${join(elsewhere, 'rewind.yaml')} is valid`);
  });

  let pm2Install;
  await step('rewind demo without PM2', async () => {
    const result = await run([rewind, 'demo'], { cwd: elsewhere, env: rewindEnv });
    expectExit('rewind demo without PM2', result, 3);
    const advised = ['npm', 'install', '-g', '--prefix', prefix, 'pm2'];
    expectIncludes('rewind demo without PM2', result, 'stderr', 'error REWIND_E_RUNTIME_UNAVAILABLE: the pm2 runtime needs PM2');
    expectIncludes('rewind demo without PM2', result, 'stderr', `rewind is installed globally in ${prefix}: install PM2 beside it with \`${advised.join(' ')}\``);
    expectIncludes('rewind demo without PM2', result, 'stderr', 'hint: Install the runtime. PM2 is an optional peer, never bundled');
    if (readdirSync(globalTmp).some((name) => name.startsWith('rewind-demo-'))) fail('rewind demo without PM2', 'it created a sandbox before finding PM2 missing', result);
    const json = await run([rewind, 'demo', '--json'], { cwd: elsewhere, env: rewindEnv });
    expectExit('rewind demo --json without PM2', json, 3);
    const error = jsonError('rewind demo --json without PM2', json);
    if (error.code !== 'REWIND_E_RUNTIME_UNAVAILABLE' || JSON.stringify(error.install) !== JSON.stringify(advised)) fail('rewind demo --json without PM2', `error ${JSON.stringify(error)}`, json);
    pm2Install = error.install;
  });

  // Exactly the command the error named (plus flags that only choose the cache), run as it says.
  await step('the advised PM2 install', async () => {
    const result = await run([...pm2Install, ...npmInstallFlags], { cwd: elsewhere, env: npmEnv, timeoutMs: 300_000 });
    expectExit('PM2 install', result, 0);
    if (!existsSync(join(prefix, 'lib', 'node_modules', 'pm2', 'package.json'))) fail('PM2 install', 'pm2 is not beside rewind', result);
    return { pm2: JSON.parse(readFileSync(join(prefix, 'lib', 'node_modules', 'pm2', 'package.json'), 'utf8')).version };
  });

  await step('rewind demo', async () => {
    const result = await run([rewind, 'demo'], { cwd: elsewhere, env: rewindEnv });
    expectExit('rewind demo', result, 0);
    expectIncludes('rewind demo', result, 'stdout', 'verified: GET /health → 200, version 1.0.0 serves again');
    expectIncludes('rewind demo', result, 'stdout', 'rollback_complete 1.1.0 → 1.0.0 success=true');
    expectIncludes('rewind demo', result, 'stdout', '✓ demo passed');
    expectIncludes('rewind demo', result, 'stdout', 'no process left running');
    const sandboxes = readdirSync(globalTmp).filter((name) => name.startsWith('rewind-demo-'));
    if (sandboxes.length > 0) fail('rewind demo', `left its sandbox behind: ${sandboxes.join(', ')}`, result);
  });

}

async function projectChecks() {
  // The README's project commands: allow better-sqlite3's install script in package.json, then install.
  await step('npm install --save-dev <tarball> in a project', async () => {
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'some-service', version: '1.0.0', private: true }, null, 2)}\n`);
    const allow = await run(['npm', 'pkg', 'set', 'allowScripts.better-sqlite3=true', '--json'], { cwd: project, env: npmEnv });
    expectExit('npm pkg set allowScripts', allow, 0);
    const result = await run(['npm', 'install', '--save-dev', ...npmInstallFlags, tarball], { cwd: project, env: npmEnv, timeoutMs: 300_000 });
    expectExit('project install', result, 0);
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    if (!manifest.devDependencies?.[pkg.name]) fail('project install', `${pkg.name} is not in the project's devDependencies`, result);
    if (/install-scripts .*better-sqlite3/.test(result.stderr)) fail('project install', 'npm still lists better-sqlite3\'s install script as not allowed', result);
    if (existsSync(join(project, 'node_modules', 'pm2'))) fail('project install', 'PM2 was installed with rewind: it must stay an optional peer', result);
  });

  // The README's project-local commands, verbatim: `npx rewind` runs the project's own bin (and only
  // there: elsewhere npx would fetch the unrelated registry package named `rewind`).
  const npx = (...args) => run(['npx', 'rewind', ...args], { cwd: project, env: projectRewindEnv });
  await step('npx rewind --version, init, config check in the project', async () => {
    const version = await npx('--version');
    expectExit('npx rewind --version', version, 0);
    if (version.stdout !== `${pkg.version}\n`) fail('npx rewind --version', `printed ${JSON.stringify(version.stdout)}`, version);
    expectExit('npx rewind init', await npx('init'), 0);
    const check = await npx('config', 'check');
    expectExit('npx rewind config check', check, 0);
    expectIncludes('npx rewind config check', check, 'stdout', `${join(project, 'rewind.yaml')} is valid`);
  });

  let projectPm2Install;
  await step('npx rewind demo without PM2', async () => {
    const demo = await npx('demo', '--json');
    expectExit('npx rewind demo --json without PM2', demo, 3);
    const error = jsonError('npx rewind demo --json without PM2', demo);
    if (error.code !== 'REWIND_E_RUNTIME_UNAVAILABLE' || JSON.stringify(error.install) !== JSON.stringify(['npm', 'install', '--save-dev', 'pm2']) || error.installIn !== project) {
      fail('npx rewind demo --json without PM2', `error ${JSON.stringify(error)}`, demo);
    }
    if (readdirSync(projectTmp).some((name) => name.startsWith('rewind-demo-'))) fail('npx rewind demo without PM2', 'it created a sandbox before finding PM2 missing', demo);
    projectPm2Install = { argv: error.install, cwd: error.installIn };
  });

  await step('the advised PM2 install in the project', async () => {
    const result = await run([...projectPm2Install.argv, ...npmInstallFlags], { cwd: projectPm2Install.cwd, env: npmEnv, timeoutMs: 300_000 });
    expectExit('project PM2 install', result, 0);
    if (!JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).devDependencies?.pm2) fail('project PM2 install', 'pm2 is not in the project\'s devDependencies', result);
  });

  await step('npx rewind demo in the project', async () => {
    const demo = await npx('demo', '--json');
    expectExit('npx rewind demo --json', demo, 0);
    const last = JSON.parse(demo.stdout.trim().split('\n').at(-1));
    if (last.event !== 'demo_complete' || last.success !== true || last.servedVersion !== '1.0.0') fail('npx rewind demo --json', `ended with ${JSON.stringify(last)}`, demo);
    const sandboxes = readdirSync(projectTmp).filter((name) => name.startsWith('rewind-demo-'));
    if (sandboxes.length > 0) fail('npx rewind demo', `left its sandbox behind: ${sandboxes.join(', ')}`, demo);
  });
}

/** Kills what outlived the check (failing it) and removes every file it made. */
async function cleanUp() {
  const leftovers = processesUnder(work);
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (leftovers.length > 0) {
    ok = false;
    process.stderr.write(`check-package: FAILED processes outlived the check (killed): ${leftovers.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}\n`);
  }
  rmSync(work, { recursive: true, force: true });
}

const summary = { ok, package: `${pkg.name}@${pkg.version}`, node: process.version, durationMs: Math.round(performance.now() - started), steps };
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exit(ok ? 0 : 1);
