#!/usr/bin/env node
// The `rewind` bin. It runs the CLI from one compiled bundle, dist/cli/rewind.cjs, with V8's code
// cache for it (dist/cli/rewind.cjs.<build>.cache, written by `npm run build`).
//
// Why: a rollback is a fresh process, and before it can call `docker-compose up -d` it must parse
// and compile its code. Node 20 keeps no compiled code between runs of ES modules, and that compile
// was most of rewind's own start: with the cache, a rollback's operation starts 85 ms sooner and every
// command that validates its config 37 to 41 ms sooner (docs/benchmarks.md). V8 checks a cache against its
// own version and flags and refuses one that does not match (a Node upgraded since the build): the
// bundle then compiles from source, as fast as before, and nothing else changes.
//
// REWIND_CODE_CACHE=off runs without the cache; REWIND_CODE_CACHE=write runs the warm-up commands in
// a temp dir (code-cache-warm-up.ts) and writes the cache for this Node (after upgrading it);
// REWIND_DEBUG set prints what became of the cache on stderr.
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

interface Bundle {
  runCli(): Promise<never>;
  warmUpCommands(): Promise<{ argv: string[]; code: number }[]>;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(HERE, 'rewind.cjs');
/** The bundle's first line names its build (a hash of its content): a cache is used only with the build that wrote it. */
const BUILD_LINE = /^\/\/ rewind-bundle ([0-9a-f]{16})\n/;

type CacheState = 'accepted' | 'rejected' | 'absent' | 'off';

function readBundle(): string | null {
  try {
    return readFileSync(BUNDLE, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Compiles and runs the bundle as CommonJS (as Node's own loader would), with the cache when there is one. */
function load(source: string, useCache: boolean): { bundle: Bundle; script: Script; cacheFile: string | null; state: CacheState } {
  const build = BUILD_LINE.exec(source)?.[1];
  const cacheFile = build ? `${BUNDLE}.${build}.cache` : null;
  let cachedData: Buffer | undefined;
  if (useCache && cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  // The same wrapper as Node's CommonJS loader, on the first line so that line numbers stay the bundle's.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, cachedData });
  const state: CacheState = !useCache ? 'off' : cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
  const module = { exports: {} as Bundle };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, HERE);
  return { bundle: module.exports, script, cacheFile, state };
}

/** REWIND_CODE_CACHE=write: warm up, then replace this build's cache (and drop other builds') atomically. */
async function writeCache(source: string): Promise<number> {
  const { bundle, script, cacheFile } = load(source, false);
  if (!cacheFile) {
    process.stderr.write(`rewind: ${BUNDLE} has no build line; no code cache written\n`);
    return 1;
  }
  const runs = await bundle.warmUpCommands();
  const data = script.createCachedData();
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, cacheFile);
  } catch (error) {
    rmSync(temporary, { force: true });
    process.stderr.write(`rewind: cannot write the code cache ${cacheFile}: ${(error as Error).message}; run this with the write access the install had\n`);
    return 1;
  }
  for (const old of readdirSync(HERE)) {
    if (old.startsWith('rewind.cjs.') && old.endsWith('.cache') && old !== basename(cacheFile)) rmSync(join(HERE, old), { force: true });
  }
  const failed = runs.filter((run) => run.code !== 0);
  process.stdout.write(`rewind: wrote ${cacheFile} (${data.length} bytes, after ${runs.length} warm-up commands)\n`);
  for (const run of failed) process.stderr.write(`rewind: warm-up \`rewind ${run.argv.join(' ')}\` exited ${run.code}; the cache holds less of that path\n`);
  return failed.length ? 1 : 0;
}

const mode = process.env.REWIND_CODE_CACHE;
const source = readBundle();
if (mode !== undefined && mode !== '' && mode !== 'off' && mode !== 'write') {
  // Said here, before anything runs: the bundle (and its error registry) is not loaded yet.
  process.stderr.write(`error REWIND_E_USAGE: REWIND_CODE_CACHE must be off or write, not ${JSON.stringify(mode)}\n  hint: Unset it to run with the code cache; docs/architecture.md, "Start-up".\n`);
  process.exit(2);
} else if (source === null && mode === 'write') {
  process.stderr.write(`rewind: no ${BUNDLE} to write a code cache for (run \`npm run build\`)\n`);
  process.exit(1);
} else if (source === null) {
  // A tree built by tsc alone (no bundle): run the modules directly.
  const { runCli } = await import('./run-cli.js');
  await runCli();
} else if (mode === 'write') {
  process.exit(await writeCache(source));
} else {
  const { bundle, cacheFile, state } = load(source, mode !== 'off');
  if (process.env.REWIND_DEBUG) process.stderr.write(`rewind: code cache ${cacheFile ?? '(no build line)'}: ${state}\n`);
  await bundle.runCli();
}
