import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/demo/sample-artifacts.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client key pair for the tests (ed25519, no passphrase): `identity` is the private key file. */
export async function clientKey(dir: string): Promise<{ identity: string; publicKey: string }> {
  await mkdir(dir, { recursive: true });
  const identity = join(dir, 'id_ed25519');
  keygen(identity);
  return { identity, publicKey: (await readFile(`${identity}.pub`, 'utf8')).trim() };
}

function keygen(file: string): void {
  const result = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rewind-test', '-f', file], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ssh-keygen exited ${result.status}: ${result.stderr}`);
}

/**
 * One test host: a real OpenSSH sshd (Debian's openssh-server) in the foreground (`-D -e`) as a
 * child of the test, on its own free loopback port, with its own host key, authorized_keys and
 * PidFile in a temp dir. Stopped by its PID, with the per-connection sshd processes it forked
 * (found by parent PID in /proc, so a "host down" really drops connections already open).
 */
export class TestSshd {
  private constructor(
    readonly root: string,
    readonly port: number,
    /** The host's public key line (`ssh-ed25519 AAAA...`), for known_hosts files. */
    readonly hostKey: string,
    private child: ChildProcess | null,
    private exited: Promise<void>,
  ) {}

  /** `env`: variables every session on this host gets (sshd's SetEnv), as a machine's login environment would give them. */
  static async start(authorizedKey: string, env: Record<string, string> = {}): Promise<TestSshd> {
    // Privilege separation dir: sshd refuses to start without it (Debian creates it from systemd, which does not run here).
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const root = await mkdtemp(join(tmpdir(), 'sshd-'));
    const port = await freePort();
    keygen(join(root, 'host_ed25519'));
    await writeFile(join(root, 'authorized_keys'), `${authorizedKey}\n`, { mode: 0o600 });
    const config = join(root, 'sshd_config');
    await writeFile(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(root, 'host_ed25519')}`,
        `PidFile ${join(root, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(root, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        // The temp dirs are world-writable (sticky) like /tmp, which StrictModes refuses.
        'StrictModes no',
        'Subsystem sftp internal-sftp',
        'UseDNS no',
        // bash sources ~/.bashrc for commands run by sshd unless it is a nested shell (SHLVL >= 1); this
        // machine's root .bashrc (pyenv init) costs over a second per command, which is no part of what is tested.
        `SetEnv SHLVL=1${Object.entries(env).map(([key, value]) => ` ${key}=${value}`).join('')}`,
        'MaxSessions 50',
        'MaxStartups 50:30:100',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const hostKey = (await readFile(join(root, 'host_ed25519.pub'), 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    const sshd = new TestSshd(root, port, hostKey, null, Promise.resolve());
    await sshd.up();
    return sshd;
  }

  /** The known_hosts line for this host (`[127.0.0.1]:port key`). */
  get knownHostsLine(): string {
    return `[127.0.0.1]:${this.port} ${this.hostKey}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Starts (again) the listening sshd on the same port and key. */
  async up(): Promise<void> {
    if (this.child) return;
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(this.root, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    for (let i = 0; ; i++) {
      if (await listening(this.port)) return;
      if (child.exitCode !== null || i > 200) {
        await this.down();
        throw new Error(`sshd did not come up on ${this.port} (exit ${child.exitCode}): ${stderr}`);
      }
      await sleep(25);
    }
  }

  /** The host goes down: the listener and every connection it serves, by PID. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const pids = child.pid ? descendants(child.pid) : [];
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const gone = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
      if (!gone) {
        child.kill('SIGKILL');
        await this.exited;
      }
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone with its parent.
      }
    }
  }

  async stop(): Promise<void> {
    await this.down();
    if (existsSync(this.root)) await rm(this.root, { recursive: true, force: true });
  }
}

/** The sshd processes forked for each connection (children, and theirs), by /proc. Not the user's programs: those run in their own session. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return out;
  }
  for (const child of children) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/${child}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm.startsWith('sshd')) out.push(child, ...descendants(child));
  }
  return out;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
