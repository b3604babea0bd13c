#!/usr/bin/env node
// The house's import arrows, measured: which modules import from a layer above their own (arrows
// must point down), which folders import each other in a loop, which modules outside src/cli import
// from it, and the largest modules. Used by test/import-arrows.test.ts (which keeps the upward and
// into-cli counts at zero) and by hand:
//   node scripts/import-arrows.mjs [--json]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'src');

/** Layers, bottom first; a module may import from its own layer or any below. */
export const LAYERS = [
  ['util', 'errors'],
  ['ports', 'events'],
  ['exec', 'migrations', 'artifacts', 'lint', 'config/parts'],
  ['adapters'],
  ['config'],
  ['ledger'],
  ['core'],
  ['app'],
  ['demo'],
  ['cli'],
];

/** Outside src/ but wired from it: the benchmarks and the tests' support code must not reach into the CLI either. */
const CLI_FREE_OUTSIDE_SRC = ['bench', join('test', 'support')];

/** The layer of a module: its longest matching folder prefix (`config/parts` before `config`). */
function layerOf(file) {
  const path = relative(src, file);
  let best = { top: path.split('/')[0], index: -1, length: -1 };
  LAYERS.forEach((names, index) => {
    for (const name of names) {
      if ((path === name || path.startsWith(`${name}/`)) && name.length > best.length) best = { top: name, index, length: name.length };
    }
  });
  return { top: best.top, index: best.index };
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative imports of a file, resolved to .ts paths. */
function importsOf(file) {
  const out = [];
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    if (spec.startsWith('.')) out.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
  }
  return out;
}

export function measure() {
  const files = walk(src);
  const upward = [];
  const unknown = new Set();
  const folderEdges = new Map();
  for (const file of files) {
    const from = layerOf(file);
    if (from.index < 0) unknown.add(from.top);
    for (const target of importsOf(file)) {
      const to = layerOf(target);
      if (to.index < 0) unknown.add(to.top);
      if (from.index >= 0 && to.index > from.index) upward.push({ from: relative(root, file), to: relative(root, target), fromLayer: from.top, toLayer: to.top });
      const a = relative(src, dirname(file));
      const b = relative(src, dirname(target));
      if (a !== b) {
        if (!folderEdges.has(a)) folderEdges.set(a, new Set());
        folderEdges.get(a).add(b);
      }
    }
  }
  const cli = join(src, 'cli') + '/';
  const outside = CLI_FREE_OUTSIDE_SRC.flatMap((dir) => walk(join(root, dir)));
  const intoCli = [];
  for (const file of [...files.filter((f) => !f.startsWith(cli)), ...outside]) {
    for (const target of importsOf(file)) if (target.startsWith(cli)) intoCli.push({ from: relative(root, file), to: relative(root, target) });
  }
  const loops = [];
  for (const [a, targets] of folderEdges) for (const b of targets) if (a < b && folderEdges.get(b)?.has(a)) loops.push([a, b]);
  const largest = files.map((f) => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 })).sort((x, y) => y.lines - x.lines).slice(0, 10);
  return { modules: files.length, upward, intoCli, folderLoops: loops, unknownFolders: [...unknown], largest };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = measure();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    console.log(`${result.modules} modules; ${result.upward.length} upward imports; ${result.intoCli.length} imports into src/cli from outside it; ${result.folderLoops.length} folder loops`);
    for (const u of result.upward) console.log(`  up: ${u.from} -> ${u.to}`);
    for (const u of result.intoCli) console.log(`  into cli: ${u.from} -> ${u.to}`);
    for (const [a, b] of result.folderLoops) console.log(`  loop: ${a} <-> ${b}`);
    if (result.unknownFolders.length) console.log(`  folders in no layer: ${result.unknownFolders.join(', ')}`);
    console.log('largest:');
    for (const l of result.largest) console.log(`  ${String(l.lines).padStart(5)} ${l.file}`);
  }
}
