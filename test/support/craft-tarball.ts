import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export interface CraftedEntry {
  path: string;
  /** node-tar's type names: File, Directory, SymbolicLink, Link, FIFO, CharacterDevice, TapeVolumeHeader, … */
  type: string;
  content?: string | Buffer;
  linkpath?: string;
  mode?: number;
}

/**
 * Writes a real gzip tarball, header by header, holding exactly `entries` (GNU tar refuses to put
 * some of these in an archive, e.g. a hard link to a path outside it, which is what a hostile or
 * broken build tool can still produce).
 */
export async function craftTarball(file: string, entries: CraftedEntry[]): Promise<void> {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.content === undefined ? Buffer.alloc(0) : Buffer.from(entry.content);
    const header = new Header({
      path: entry.path,
      type: entry.type as never,
      mode: entry.mode ?? (entry.type === 'Directory' ? 0o755 : 0o644),
      size: body.length,
      linkpath: entry.linkpath,
      mtime: new Date('2026-01-01T00:00:00Z'),
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  await writeFile(file, gzipSync(Buffer.concat(blocks)));
}
