import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { RewindError } from '../errors/rewind-error.js';

export type ArtifactKind = 'directory' | 'tarball';

export async function artifactKind(path: string): Promise<ArtifactKind> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `artifact ${path} does not exist`, { artifact: path });
  }
  if (info.isDirectory()) return 'directory';
  if (info.isFile() && /\.(tgz|tar\.gz)$/.test(path)) return 'tarball';
  throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `artifact ${path} is neither a directory nor a .tgz/.tar.gz file`, { artifact: path });
}

/**
 * sha256 of an artifact: the bytes of a tarball, or for a directory a digest over its sorted tree
 * (relative path, type, mode's executable bit, content), so the same tree always gives the same digest
 * whatever the file times or the order readdir returns.
 */
export async function artifactDigest(path: string): Promise<string> {
  const kind = await artifactKind(path);
  if (kind === 'tarball') return `sha256:${await hashFile(path)}`;
  const hash = createHash('sha256');
  for (const file of await walk(path)) {
    const rel = relative(path, file).split('\\').join('/');
    const info = await lstat(file);
    if (info.isSymbolicLink()) {
      hash.update(`L\0${rel}\0${await readlink(file)}\0`);
    } else {
      hash.update(`F\0${rel}\0${info.mode & 0o111 ? 'x' : '-'}\0${info.size}\0`);
      await new Promise<void>((resolve, reject) => {
        createReadStream(file)
          .on('data', (chunk) => hash.update(chunk))
          .on('end', resolve)
          .on('error', reject);
      });
    }
  }
  return `sha256:${hash.digest('hex')}`;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', resolve)
      .on('error', reject);
  });
  return hash.digest('hex');
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else files.push(full);
  }
  return files;
}
