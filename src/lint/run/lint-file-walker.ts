import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { RewindError } from '../../errors/rewind-error.js';

/**
 * Finds the migration files `rewind lint` was pointed at. A directory is walked for `*.sql` at
 * any depth, which covers flat layouts (`migrations/0001_init.sql`) and Prisma's
 * `migrations/<timestamp_name>/migration.sql` alike; node_modules and dot-directories are skipped.
 * Files are sorted by path (code-point order), which is the order timestamped or numbered
 * migrations run in. A file named explicitly is linted whatever its extension.
 */
export interface FoundFile {
  /** Absolute path, for reading. */
  absolute: string;
  /** Relative to the working directory when inside it (what reports and SARIF show), else absolute. */
  display: string;
}

export function findSqlFiles(inputs: readonly string[], cwd: string): FoundFile[] {
  const found = new Map<string, FoundFile>();
  for (const input of inputs) {
    const absolute = resolve(cwd, input);
    let stats;
    try {
      stats = statSync(absolute);
    } catch {
      throw new RewindError('REWIND_E_USAGE', `no such file or directory: ${input}`);
    }
    const files = stats.isDirectory() ? walk(absolute).sort(byPath) : [absolute];
    const display = displayPaths(stats.isDirectory() ? absolute : undefined, cwd);
    for (const file of files) if (!found.has(file)) found.set(file, { absolute: file, display: display(file) });
  }
  if (found.size === 0) throw new RewindError('REWIND_E_USAGE', `no *.sql files found in ${inputs.join(', ')}`);
  return [...found.values()];
}

function walk(dir: string): string[] {
  const files: string[] = [];
  // What join() would give: `dir` is already normalised and a name has no separator ('.' and '..' are skipped).
  const base = dir.endsWith(sep) ? dir : dir + sep;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = base + entry.name;
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isDirectory() === true);
    if (isDir) files.push(...walk(path));
    else if (entry.name.toLowerCase().endsWith('.sql')) files.push(path);
  }
  return files;
}

const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * path.relative() for every one of thousands of files costs more than the walk itself. Below a
 * directory that is inside the working directory (or is it), every file's relative path is that
 * directory's relative path plus the rest of the file's own path, so it is computed once.
 */
function displayPaths(dir: string | undefined, cwd: string): (file: string) => string {
  if (dir !== undefined) {
    const rel = relative(cwd, dir);
    if (!rel.startsWith('..') && !isAbsolute(rel)) {
      const prefix = rel === '' ? '' : `${rel.split(sep).join('/')}/`;
      const cut = dir.endsWith(sep) ? dir.length : dir.length + 1;
      return (file) => prefix + file.slice(cut).split(sep).join('/');
    }
  }
  return (file) => displayPath(file, cwd);
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  return (inside ? rel : file).split(sep).join('/');
}
