import { RewindError } from '../errors/rewind-error.js';

/**
 * The one set of rules every artifact shape obeys (a directory and a .tgz alike): a release holds
 * regular files, directories, and symlinks whose target resolves inside the release; a tarball may
 * also hard-link to a regular file it holds earlier. Anything else (FIFO, socket, device, a symlink
 * that is absolute or climbs out, a path with `..`, a GNU sparse file, an unknown tar entry type) is
 * a violation naming the entry. The scanners feed entries in as they read them; `finish` applies the
 * rules that need the whole tree (where the release root is, where each symlink leads).
 */

/** Written by the releases target into each unpacked release; an artifact may not bring its own. */
export const RELEASE_MARKER = '.rewind-release.json';

/** Linux follows at most 40 symlinks in one lookup (MAXSYMLINKS); more means a loop. */
const MAX_SYMLINK_HOPS = 40;

export type EntryKind = 'file' | 'directory' | 'symlink';

/** One entry of a release tree, path relative to the release root, `/`-separated. */
export interface TreeEntry {
  path: string;
  kind: EntryKind;
  /** file: whether any execute bit is set. */
  executable?: boolean;
  /** file: bytes. */
  size?: number;
  /** file: sha256 of the content, hex. */
  sha256?: string;
  /** symlink: the target as stored. */
  target?: string;
}

export interface ArtifactViolation {
  /** The entry's path inside the artifact, as the artifact names it. */
  entry: string;
  /** What it is and why it is refused. */
  problem: string;
}

interface Node {
  kind: EntryKind;
  /** A directory only implied by the paths below it (tarballs may omit them). */
  implicit?: boolean;
  executable?: boolean;
  size?: number;
  sha256?: string;
  target?: string;
}

export interface AddedEntry {
  /** Path components inside the artifact (normalized). */
  parts: string[];
  node: Node;
  /** An earlier entry had the same path (a tarball may hold a path twice; the last one wins). */
  replaces: boolean;
}

export interface FinishedTree {
  /** The archive folder that is the release root (an npm-pack style single top-level folder), or ''. */
  root: string;
  entries: TreeEntry[];
  violations: ArtifactViolation[];
}

export class ArtifactTree {
  private readonly nodes = new Map<string, Node>();
  readonly violations: ArtifactViolation[] = [];

  refuse(entry: string, problem: string): void {
    this.violations.push({ entry, problem });
  }

  /**
   * Adds an entry after the rules that need only what came before: a clean relative path, no
   * writing inside a symlink or a file, no path that changes kind, hard links only to an earlier
   * regular file. Null (and a violation) when refused; the root directory itself gives parts [].
   */
  add(path: string, kind: EntryKind | 'hardlink', info: { executable?: boolean; target?: string } = {}): AddedEntry | null {
    const parts = pathParts(path);
    if (typeof parts === 'string') return this.refused(path, parts);
    if (parts.length === 0) {
      if (kind === 'directory') return { parts, node: { kind: 'directory' }, replaces: false };
      return this.refused(path, `a ${kind} in place of the artifact's root directory`);
    }
    for (let depth = 1; depth < parts.length; depth++) {
      const key = parts.slice(0, depth).join('/');
      const above = this.nodes.get(key);
      if (above && above.kind !== 'directory') return this.refused(path, `lies inside ${key}, which is a ${above.kind}, not a directory`);
    }
    const key = parts.join('/');
    const existing = this.nodes.get(key);
    const nodeKind: EntryKind = kind === 'hardlink' ? 'file' : kind;
    if (existing && existing.kind !== nodeKind) return this.refused(path, `appears twice, as a ${existing.kind} and as a ${nodeKind}`);
    let node: Node;
    if (kind === 'hardlink') {
      const linked = pathParts(info.target ?? '');
      const linkedNode = typeof linked === 'string' ? undefined : this.nodes.get(linked.join('/'));
      if (typeof linked === 'string') return this.refused(path, `a hard link to ${info.target}, outside the artifact`);
      if (!linkedNode || linkedNode.kind !== 'file') return this.refused(path, `a hard link to ${info.target}, which is not a regular file earlier in the artifact`);
      // The link is the same inode: it installs as a file with the content and mode of its target.
      node = { kind: 'file', executable: linkedNode.executable, size: linkedNode.size, sha256: linkedNode.sha256 };
    } else if (kind === 'symlink') {
      node = { kind, target: info.target ?? '' };
    } else if (kind === 'file') {
      node = { kind, executable: info.executable ?? false };
    } else {
      node = { kind };
    }
    for (let depth = 1; depth < parts.length; depth++) {
      const above = parts.slice(0, depth).join('/');
      if (!this.nodes.has(above)) this.nodes.set(above, { kind: 'directory', implicit: true });
    }
    this.nodes.set(key, node);
    return { parts, node, replaces: existing !== undefined };
  }

  /**
   * Applies the rules that need the whole tree and lists its entries relative to the release root.
   * `stripSingleRoot`: a tarball whose only top-level entry is a folder (npm pack's `package/`)
   * installs that folder as the release.
   */
  finish(options: { stripSingleRoot: boolean }): FinishedTree {
    const tops = new Set([...this.nodes.keys()].map((key) => key.split('/')[0]!));
    const single = tops.size === 1 ? [...tops][0]! : undefined;
    const root = options.stripSingleRoot && single !== undefined && this.nodes.get(single)?.kind === 'directory' ? [single] : [];
    const marker = [...root, RELEASE_MARKER].join('/');
    if (this.nodes.has(marker)) this.refuse(marker, `${RELEASE_MARKER} is reserved for the marker rewind writes into each unpacked release`);
    const entries: TreeEntry[] = [];
    for (const [key, node] of this.nodes) {
      const parts = key.split('/');
      if (node.kind === 'symlink') {
        const problem = this.symlinkProblem(parts, node.target!, root.length);
        if (problem) this.refuse(key, problem);
      }
      if (parts.length <= root.length) continue; // the release root itself
      const path = parts.slice(root.length).join('/');
      if (node.kind === 'file') entries.push({ path, kind: 'file', executable: node.executable ?? false, size: node.size ?? 0, sha256: node.sha256 ?? '' });
      else if (node.kind === 'symlink') entries.push({ path, kind: 'symlink', target: node.target! });
      else entries.push({ path, kind: 'directory' });
    }
    return { root: root.join('/'), entries, violations: this.violations };
  }

  private refused(entry: string, problem: string): null {
    this.refuse(entry, problem);
    return null;
  }

  private symlinkProblem(parts: string[], target: string, floor: number): string | null {
    if (target === '') return 'a symlink with an empty target';
    if (target.startsWith('/')) return `a symlink to ${target}: an absolute target (only relative targets inside the release are allowed)`;
    const resolved = this.resolve(parts.slice(0, -1), target, floor, { hops: 0 });
    if (resolved === 'escapes') return `a symlink to ${target}, which leads outside the release`;
    if (resolved === 'loops') return `a symlink to ${target}, which never resolves (a symlink loop)`;
    return null;
  }

  /**
   * Follows `target` from the directory `from` the way the kernel would, through the symlinks of
   * this tree (a lexical check alone is fooled: with `s -> .`, `s/../x` is outside). A `..` above
   * `floor` components (the release root) escapes; components that do not exist are taken as named.
   */
  private resolve(from: string[], target: string, floor: number, budget: { hops: number }): string[] | 'escapes' | 'loops' {
    if (target.startsWith('/')) return 'escapes';
    const at = [...from];
    for (const component of target.split('/')) {
      if (component === '' || component === '.') continue;
      if (component === '..') {
        if (at.length <= floor) return 'escapes';
        at.pop();
        continue;
      }
      at.push(component);
      const node = this.nodes.get(at.join('/'));
      if (node?.kind === 'symlink') {
        if (++budget.hops > MAX_SYMLINK_HOPS) return 'loops';
        const next = this.resolve(at.slice(0, -1), node.target!, floor, budget);
        if (typeof next === 'string') return next;
        at.splice(0, at.length, ...next);
      }
    }
    return at;
  }
}

/** The components of an entry path, or why it is refused (absolute, or climbing with `..`). */
export function pathParts(path: string): string[] | string {
  if (path.startsWith('/')) return `an absolute path (${path})`;
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return `a path with a '..' component`;
  return parts;
}

/** What a non-regular file system entry is, for a violation message. */
export function describeSpecialFile(info: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a Unix socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'neither a regular file, a directory nor a symlink';
}

/** The coded error for an artifact with violations: every entry named (the message lists the first few). */
export function unsafeArtifactError(artifact: string, violations: readonly ArtifactViolation[]): RewindError {
  const shown = violations.slice(0, 5).map((v) => `${v.entry}: ${v.problem}`);
  const more = violations.length > shown.length ? ` (and ${violations.length - shown.length} more)` : '';
  return new RewindError(
    'REWIND_E_ARTIFACT_UNSAFE',
    `artifact ${artifact} holds what a release may not: ${shown.join('; ')}${more}. Only regular files, directories, and symlinks that resolve inside the release are installed`,
    { artifact, entries: violations.slice(0, 100) },
  );
}
