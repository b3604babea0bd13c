// Bundles the CLI after tsc. A rollback is a fresh process, and Node spends most of a cold start
// resolving, reading and compiling modules: ~700 small ESM files of kysely, zod and friends unbundled.
// So the CLI ships as one CommonJS bundle, dist/cli/rewind.cjs, which the bin (src/cli/main.ts,
// compiled by tsc to dist/cli/main.js) compiles with V8's code cache: CommonJS because Node 20 can
// give a code cache only to a script (vm.Script), not to an ES module. Each command is still
// evaluated only when it runs (esbuild turns the lazy `import()`s into lazy module initialisers).
// tsc's output stays the source of truth for types, tests and benchmarks.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const OUT = 'dist/cli';
// Left out of the bundle, loaded by Node from node_modules: native addons (pg-native; better-sqlite3's
// JavaScript is bundled, and src/util/sqlite-database.ts hands it its addon from node_modules), packages
// that load files next to themselves at run time (WASM), and PM2, which is AGPL-3.0 and must come from
// the user's own install.
const EXTERNALS = ['pm2', 'pg-native', 'libpg-query', 'node-sql-parser'];
// Outputs of earlier layouts: the ES module chunks, and the benchmarks before they moved out of src/
// (npm pack would ship both).
rmSync(join(OUT, 'chunks'), { recursive: true, force: true });
rmSync('dist/bench', { recursive: true, force: true });
for (const old of readdirSync(OUT)) if (/^rewind\.cjs\..*\.cache$/.test(old)) rmSync(join(OUT, old));

// Large client libraries that only their own adapter uses (Kubernetes, ECS, ALB, MariaDB/MySQL) go
// into bundles of their own under dist/cli/vendor/, required when that adapter loads: in the main
// bundle they would be 3.4 MB more for every command to read and index (each 1 MB costs 3 to 5 ms
// of every start, measured). `cjs`: a CommonJS package, passed on as its module.exports.
const VENDORED = {
  '@kubernetes/client-node': { name: 'kubernetes-client' },
  '@aws-sdk/client-ecs': { name: 'aws-client-ecs' },
  '@aws-sdk/client-elastic-load-balancing-v2': { name: 'aws-client-elbv2' },
  'mysql2/promise': { name: 'mysql2-promise', cjs: true },
};
rmSync(join(OUT, 'vendor'), { recursive: true, force: true });
for (const [pkg, { name, cjs }] of Object.entries(VENDORED)) {
  await build({
    stdin: { contents: cjs ? `module.exports = require('${pkg}');` : `export * from '${pkg}';`, resolveDir: '.', loader: 'js' },
    outfile: join(OUT, 'vendor', `${name}.cjs`),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    logLevel: 'error',
  });
}

const result = await build({
  entryPoints: ['src/cli/bundle-entry.ts'],
  outfile: join(OUT, 'rewind.cjs'),
  write: false,
  metafile: true,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  // No `import()` is left in the bundle: main.ts runs it through vm.Script, where Node 20 has no
  // loader for one. Lazy imports of bundled modules become lazy initialisers; those of the externals
  // become require() (the check after the build holds the bundle to that), so an external must be
  // CommonJS: Node 20 cannot require() an ES module.
  supported: { 'dynamic-import': false },
  external: EXTERNALS,
  // The few modules that locate files from their own URL get the bundle's (dist/cli/rewind.cjs).
  define: { 'import.meta.url': '__rewindBundleUrl' },
  banner: { js: "var __rewindBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [
    {
      name: 'vendored',
      setup(builder) {
        builder.onResolve({ filter: /^(@kubernetes|@aws-sdk|mysql2)\// }, (args) => (args.path in VENDORED ? { path: `./vendor/${VENDORED[args.path].name}.cjs`, external: true } : undefined));
      },
    },
  ],
});

// What the bundle loads at run time must be require()-able: a Node built-in, a vendored bundle, or a
// listed external (CommonJS). A dynamic import() anywhere would fail only when its code path runs.
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
// mysql2 tries require('cardinal') (an optional SQL highlighter for its debug output) inside a try.
const externals = new Set([...EXTERNALS, 'cardinal']);
const refused = [];
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  for (const entry of output.imports) {
    const root = entry.path.startsWith('@') ? entry.path.split('/').slice(0, 2).join('/') : entry.path.split('/')[0];
    const allowed = entry.kind === 'require-call' && (builtins.has(entry.path) || entry.path.startsWith('./vendor/') || externals.has(root));
    if (!allowed) refused.push(`${file}: ${entry.kind} of ${entry.path}`);
  }
}
if (refused.length) throw new Error(`the CommonJS bundle can only require() built-ins, ./vendor/ bundles and the listed externals:\n${refused.join('\n')}`);

// The first line names the build (a hash of the code): main.ts uses a code cache only with the build that wrote it.
for (const file of result.outputFiles) {
  if (file.path.endsWith('.cjs')) {
    const hash = createHash('sha256').update(file.contents).digest('hex').slice(0, 16);
    writeFileSync(file.path, `// rewind-bundle ${hash}\n${file.text}`);
  } else {
    // The source map: one more line now comes before the code.
    const map = JSON.parse(file.text);
    map.mappings = `;${map.mappings}`;
    writeFileSync(file.path, JSON.stringify(map));
  }
}

// The lint worker thread: one CommonJS file (no chunks, no ES module loader), which a worker starts
// faster. Its source is in src/lint/run/; the bundle stays next to the CLI's (lintFiles looks there).
await build({
  entryPoints: ['src/lint/run/lint-worker.ts'],
  outfile: join(OUT, 'lint-worker.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  external: ['libpg-query', 'node-sql-parser'],
  define: { 'import.meta.url': 'undefined' }, // only read where __filename is missing (never in CommonJS)
});

// V8's code cache for this Node, after the warm-up commands (src/cli/code-cache-warm-up.ts). Without
// it rewind works the same, only its start is slower; so a failed warm-up is a warning, not a failed build.
const warm = spawnSync(process.execPath, [join(OUT, 'main.js')], { env: { ...process.env, REWIND_CODE_CACHE: 'write' }, encoding: 'utf8', timeout: 120_000 });
if (warm.status !== 0) process.stderr.write(`bundle-cli: warning: the code cache warm-up exited ${warm.status ?? warm.signal}:\n${warm.stderr}`);
