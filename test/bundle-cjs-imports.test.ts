import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/util/package-root.js';

// The CLI ships as an esbuild bundle (scripts/bundle-cli.mjs). There, `await import('pkg')` of a
// bundled CommonJS package gives one export, `default` (the package's module.exports); plain Node,
// which the in-process tests run, also gives its named exports. So source that reads a named export
// of such an import passes its tests and fails in the binary: every MariaDB command once did
// (`mysql.createConnection is not a function`). This holds every such import in src to `default`.

const ROOT = packageRoot();

/** The packages the bundle leaves out (loaded by Node itself at run time, named exports and all). */
function bundleExternals(): Set<string> {
  const script = readFileSync(join(ROOT, 'scripts', 'bundle-cli.mjs'), 'utf8');
  const list = /EXTERNALS = \[([^\]]*)\]/.exec(script)?.[1];
  if (!list) throw new Error('scripts/bundle-cli.mjs: no EXTERNALS list found');
  return new Set([...list.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
}

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Whether esbuild (platform node, format esm) bundles `specifier` as CommonJS: no `import` condition, and not an ES module file. */
function bundlesAsCommonJs(specifier: string): boolean {
  const name = packageName(specifier);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { type?: string; module?: string; exports?: unknown; main?: string };
  const subpath = `.${specifier.slice(name.length)}`;
  const exportsMap = pkg.exports as Record<string, unknown> | string | undefined;
  let target: unknown = typeof exportsMap === 'object' && exportsMap !== null && Object.keys(exportsMap).some((k) => k.startsWith('.')) ? exportsMap[subpath] : subpath === '.' ? exportsMap : undefined;
  if (target && typeof target === 'object') {
    const conditions = target as Record<string, unknown>;
    if ('import' in conditions || 'module' in conditions) return false;
    target = conditions.node ?? conditions.default ?? conditions.require;
  }
  if (target === undefined && subpath === '.' && pkg.module) return false;
  const file = typeof target === 'string' ? target : subpath === '.' ? (pkg.main ?? 'index.js') : subpath;
  if (file.endsWith('.mjs')) return false;
  if (file.endsWith('.cjs')) return true;
  return pkg.type !== 'module';
}

interface DynamicImport {
  file: string;
  line: number;
  specifier: string;
  /** The names read from the imported namespace; '*' when the namespace escapes (passed on, returned, spread). */
  reads: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every `import('<package>')` in a file, with what is read from what it resolves to. */
function dynamicImports(path: string): DynamicImport[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: DynamicImport[] = [];
  const readsOfIdentifier = (name: string, scope: ts.Node): string[] => {
    const reads: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && node.text === name && !ts.isVariableDeclaration(node.parent)) {
        const parent = node.parent;
        reads.push(ts.isPropertyAccessExpression(parent) && parent.expression === node ? parent.name.text : '*');
      }
      ts.forEachChild(node, visit);
    };
    visit(scope);
    return reads;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      const specifier = node.arguments[0].text;
      if (!specifier.startsWith('.') && !specifier.startsWith('node:')) {
        let use: ts.Node = node;
        while (ts.isAwaitExpression(use.parent) || ts.isParenthesizedExpression(use.parent)) use = use.parent;
        const parent = use.parent;
        let reads: string[];
        if (ts.isPropertyAccessExpression(parent)) reads = [parent.name.text];
        else if (ts.isVariableDeclaration(parent) && ts.isObjectBindingPattern(parent.name)) {
          reads = parent.name.elements.map((e) => (e.propertyName && ts.isIdentifier(e.propertyName) ? e.propertyName.text : ts.isIdentifier(e.name) ? e.name.text : '*'));
        } else if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
          let scope: ts.Node = parent;
          while (scope.parent && !ts.isBlock(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
          reads = readsOfIdentifier(parent.name.text, scope);
        } else if (ts.isArrowFunction(parent)) reads = ['*']; // a loader returned as is (e.g. () => import('x'))
        else reads = ['*'];
        found.push({ file: relative(ROOT, path), line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, specifier, reads });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('dynamic imports of bundled CommonJS packages take `default`', () => {
  const externals = bundleExternals();
  const imports = sourceFiles(join(ROOT, 'src')).flatMap(dynamicImports);

  it('knows which packages are CommonJS in the bundle', () => {
    expect(bundlesAsCommonJs('mysql2/promise')).toBe(true);
    expect(bundlesAsCommonJs('pg')).toBe(false); // an `import` condition: an ES module wrapper with named exports
    expect(bundlesAsCommonJs('tar')).toBe(false);
    expect(bundlesAsCommonJs('zod')).toBe(false);
  });

  it('finds the dynamic imports of packages in src (mysql2 among them)', () => {
    expect(imports.find((i) => i.specifier === 'mysql2/promise')).toMatchObject({ file: 'src/adapters/databases/mysql/mysql-engine.ts', reads: ['default'] });
  });

  it('reads only `default` from each one the bundle holds as CommonJS', () => {
    const wrong = imports
      .filter((i) => !externals.has(packageName(i.specifier)) && bundlesAsCommonJs(i.specifier))
      .filter((i) => i.reads.length === 0 || i.reads.some((read) => read !== 'default'))
      .map((i) => `${i.file}:${i.line} import('${i.specifier}') reads ${i.reads.join(', ') || 'nothing by name'}`);
    expect(wrong).toEqual([]);
  });
});
