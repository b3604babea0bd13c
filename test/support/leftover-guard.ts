import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * Tests leave nothing behind, and this keeps it so. As vitest's globalSetup it gives the whole run
 * a private root: TMPDIR (every mkdtemp of the tests and of the code under test), XDG_CACHE_HOME
 * (the validated-config stamp every loaded config writes) and PM2_HOME (loading PM2 creates its
 * default home) point into it, and each test file gets a TMPDIR of its own inside it
 * (test-file-tmpdir.ts), so that what is left names the file that left it. The workers and every
 * process the tests start inherit that environment: at the end, whatever is still in a TMPDIR,
 * still mounted under the root, or still running with the root in its environment, working
 * directory or argv was left by a test. The run lists it by test file, removes it so the machine
 * stays clean, and fails.
 */

/** Where the per-file temp dirs live, for test-file-tmpdir.ts in the workers. */
export const RUN_TEMP_VARIABLE = 'REWIND_TEST_RUN_TMPDIR';

/** One thing left behind, and the test file whose TMPDIR it was in (null: none of them). */
export interface Leftover {
  owner: string | null;
  what: string;
  /** The live process, for the clean-up. */
  pid?: number;
  /** A mount point, for the clean-up. */
  mount?: string;
}

export interface PrivateRoot {
  root: string;
  /** The run's TMPDIR; each test file's own TMPDIR is a directory in it. */
  temp: string;
  /** test file TMPDIR name → the test file, written by test-file-tmpdir.ts. */
  owners: string;
  env: Record<'TMPDIR' | 'XDG_CACHE_HOME' | 'PM2_HOME' | typeof RUN_TEMP_VARIABLE, string>;
}

/** Makes the private root under the current temp dir (not yet applied to the environment). */
export function createPrivateRoot(): PrivateRoot {
  const root = mkdtempSync(join(tmpdir(), 'rewind-suite-'));
  const temp = join(root, 'tmp');
  const owners = join(root, 'owners');
  // Like /tmp: other users reach and use it (PostgreSQL clusters run as postgres, nginx workers as nobody).
  chmodSync(root, 0o755);
  mkdirSync(temp);
  chmodSync(temp, 0o1777);
  mkdirSync(owners);
  return { root, temp, owners, env: { TMPDIR: temp, [RUN_TEMP_VARIABLE]: temp, XDG_CACHE_HOME: join(root, 'cache'), PM2_HOME: join(root, 'pm2') } };
}

/** Gives a test file its own TMPDIR inside the run's, and remembers whose it is. */
export function createTestFileTmpdir(runTemp: string, testFile: string): string {
  // A short name (f-XXXXXX): the tests' unix sockets live under it, and a socket path must stay under 108 bytes.
  const dir = mkdtempSync(join(runTemp, 'f-'));
  chmodSync(dir, 0o1777);
  writeFileSync(join(runTemp, '..', 'owners', basename(dir)), testFile);
  return dir;
}

function readOrEmpty(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

/** The owner of a path or environment under the run's temp dir: the test file whose TMPDIR it is in. */
function ownerOf(privateRoot: PrivateRoot, path: string): string | null {
  if (!path.startsWith(`${privateRoot.temp}/`)) return null;
  const name = path.slice(privateRoot.temp.length + 1).split('/')[0]!;
  return readOrEmpty(() => readFileSync(join(privateRoot.owners, name), 'utf8')) || null;
}

/** The live processes carrying the root in their environment, cwd or argv, but `exclude`d ones. */
export function processesCarrying(privateRoot: PrivateRoot, exclude: (argv: string) => boolean = () => false): Leftover[] {
  const { root } = privateRoot;
  const inside = (text: string) => text === root || text.startsWith(`${root}/`);
  const found: Leftover[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const argv = readOrEmpty(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean).join(' ');
    if (argv === '' || exclude(argv)) continue; // gone, a zombie or a kernel thread: nothing runs
    // Another user's process (when not root) hides its environment and cwd; its argv still tells.
    const environ = readOrEmpty(() => readFileSync(`/proc/${pid}/environ`, 'utf8')).split('\0');
    const cwd = readOrEmpty(() => readlinkSync(`/proc/${pid}/cwd`));
    if (!environ.some((entry) => inside(entry.slice(entry.indexOf('=') + 1))) && !inside(cwd) && !argv.includes(`${root}/`)) continue;
    const tmpdirEntry = environ.find((entry) => entry.startsWith('TMPDIR='))?.slice('TMPDIR='.length) ?? '';
    const inArgv = argv.indexOf(`${privateRoot.temp}/`);
    const owner = ownerOf(privateRoot, `${tmpdirEntry}/`) ?? ownerOf(privateRoot, cwd) ?? (inArgv < 0 ? null : ownerOf(privateRoot, argv.slice(inArgv)));
    found.push({ owner, what: `still running: pid ${pid}: ${argv.slice(0, 200)}`, pid });
  }
  return found;
}

function mountsUnder(privateRoot: PrivateRoot): Leftover[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((point) => point.startsWith(`${privateRoot.root}/`))
    .sort((a, b) => b.length - a.length) // innermost first, for unmounting
    .map((point) => ({ owner: ownerOf(privateRoot, point), what: `still mounted: ${point}`, mount: point }));
}

function filesLeft(privateRoot: PrivateRoot): Leftover[] {
  const left: Leftover[] = [];
  for (const entry of readOrEmptyList(privateRoot.temp)) {
    const path = join(privateRoot.temp, entry);
    const owner = ownerOf(privateRoot, path);
    if (owner === null) {
      left.push({ owner, what: `left in TMPDIR: ${entry}` });
      continue;
    }
    for (const inner of readOrEmptyList(path)) left.push({ owner, what: `left in TMPDIR: ${inner}` });
  }
  return left;
}

function readOrEmptyList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/**
 * What is left under the private root. Processes get up to `graceMs` to go away by themselves (a
 * stopped PM2 daemon's apps, children reaped as their parent exits) before they count.
 */
export async function findLeftovers(privateRoot: PrivateRoot, options: { exclude?: (argv: string) => boolean; graceMs?: number } = {}): Promise<Leftover[]> {
  const deadline = Date.now() + (options.graceMs ?? 10_000);
  let processes = processesCarrying(privateRoot, options.exclude);
  while (processes.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    processes = processesCarrying(privateRoot, options.exclude);
  }
  return [...filesLeft(privateRoot), ...mountsUnder(privateRoot), ...processes];
}

/** Whether `pid` still runs: a zombie (dead, its parent not told yet) does not. */
export function alive(pid: number): boolean {
  const stat = readOrEmpty(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** Kills the processes, unmounts, removes the root. Returns what it could not undo. */
export async function removeLeftovers(privateRoot: PrivateRoot, leftovers: Leftover[]): Promise<string[]> {
  const failures: string[] = [];
  const pids = leftovers.flatMap((leftover) => (leftover.pid === undefined ? [] : [leftover.pid]));
  // SIGTERM first: a server stops its own children then (nginx's workers run as nobody and carry no trace of the run).
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    for (const pid of pids.filter(alive)) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 5000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const { mount } of mountsUnder(privateRoot)) {
    try {
      execFileSync('umount', [mount!], { stdio: 'pipe' });
    } catch (error) {
      failures.push(`umount ${mount}: ${(error as Error).message}`);
    }
  }
  try {
    rmSync(privateRoot.root, { recursive: true, force: true });
  } catch (error) {
    failures.push(`rm -rf ${privateRoot.root}: ${(error as Error).message}`);
  }
  return failures;
}

/** The report, grouped by test file; null when nothing was left. */
export function describeLeftovers(leftovers: Leftover[]): string | null {
  if (leftovers.length === 0) return null;
  const byOwner = new Map<string, string[]>();
  for (const { owner, what } of leftovers) {
    const key = owner ?? '(no test file: the run itself, or a process with another TMPDIR)';
    byOwner.set(key, [...(byOwner.get(key) ?? []), what]);
  }
  return [...byOwner].map(([owner, whats]) => `  ${owner}\n${whats.map((what) => `    ${what}`).join('\n')}`).join('\n');
}

/** vitest's own worker processes, which its pool closes only after the global teardown. */
const isVitestWorker = (argv: string) => /\/vitest\/dist\/workers\//.test(argv);

export default function setup(): () => Promise<void> {
  const privateRoot = createPrivateRoot();
  const saved = Object.fromEntries(Object.keys(privateRoot.env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, privateRoot.env);
  return async function teardown() {
    const leftovers = await findLeftovers(privateRoot, { exclude: isVitestWorker });
    const report = describeLeftovers(leftovers);
    const failures = await removeLeftovers(privateRoot, leftovers);
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (report === null && failures.length === 0) return;
    const lines = [];
    if (report !== null) lines.push('Tests left these behind (removed now; clean up in the test that made them):', report);
    for (const failure of failures) lines.push(`Could not clean up: ${failure}`);
    console.error(`\n${lines.join('\n')}\n`);
    process.exitCode = 1;
  };
}
