// Bundles the CLI after tsc: `rewind status` must start in under 150 ms, and Node spends most of a
// cold start resolving and compiling the ~700 small ESM files of kysely, zod and friends. One
// bundle with lazy chunks (each command is still imported only when it runs) removes that cost.
// tsc's output stays the source of truth for types, tests and benchmarks; this only replaces the
// two entry points the `rewind` bin and the lint workers start from.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/cli/chunks', { recursive: true, force: true });
// The benchmarks live in bench/ and build into dist-bench/; a dist/ built before they moved out of
// src/ still holds their old output, which npm pack would ship.
rmSync('dist/bench', { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  // Native addons, packages that load files next to themselves at run time (WASM), and PM2, which is AGPL-3.0 and must come from the user's own install.
  external: ['better-sqlite3', 'pm2', 'pg-native', 'libpg-query', 'node-sql-parser'],
  // Bundled CommonJS (pg, tar's deps) calls require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __rewindCreateRequire } from 'node:module'; const require = __rewindCreateRequire(import.meta.url);" },
});
// The lint worker thread: one CommonJS file (no chunks, no ES module loader), which a worker starts
// faster. Its source is in src/lint/run/; the bundle stays next to the CLI's (lintFiles looks there).
await build({
  entryPoints: ['src/lint/run/lint-worker.ts'],
  outfile: 'dist/cli/lint-worker.cjs',
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
