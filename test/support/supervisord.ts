import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What `supervisorctl` printed and how it exited. */
export interface CtlResult {
  code: number | null;
  stdout: string;
}

/**
 * A real supervisord (Debian's `supervisor`) of a test file's own: config, unix socket, pidfile and
 * logs in a temp dir, run in the foreground (`-n`) as a child of the test, so the test owns its PID
 * and stops it by that PID. Programs are added as include files and loaded with `supervisorctl
 * update`; none starts by itself (autostart=false): rewind's command runtime starts them.
 */
export class Supervisord {
  private constructor(
    readonly root: string,
    readonly conf: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(): Promise<Supervisord> {
    // Short: the socket path must stay under 108 bytes, and the suite's TMPDIR is already ~40 deep.
    const root = await mkdtemp(join(tmpdir(), 'sv-'));
    const conf = join(root, 'sv.conf');
    await mkdir(join(root, 'programs'));
    await writeFile(
      conf,
      `[unix_http_server]
file=${join(root, 's.sock')}
chmod=0700

[supervisord]
pidfile=${join(root, 'supervisord.pid')}
logfile=${join(root, 'supervisord.log')}
childlogdir=${root}
nodaemon=true

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://${join(root, 's.sock')}

[include]
files=${join(root, 'programs', '*.conf')}
`,
    );
    const child = spawn('supervisord', ['-n', '-c', conf], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const supervisord = new Supervisord(root, conf, child, exited);
    // Up when supervisorctl reaches it over the socket (`pid` exits 0 then).
    for (let i = 0; ; i++) {
      if (supervisord.ctl('pid').code === 0) return supervisord;
      if (child.exitCode !== null || i > 200) {
        await supervisord.stop();
        throw new Error(`supervisord did not come up (exit ${child.exitCode})`);
      }
      await sleep(25);
    }
  }

  /** The argv that runs `supervisorctl` on this daemon with `args`, as the command runtime gets it. */
  argv(...args: string[]): string[] {
    return ['supervisorctl', '-c', this.conf, ...args];
  }

  ctl(...args: string[]): CtlResult {
    const result = spawnSync('supervisorctl', ['-c', this.conf, ...args], { encoding: 'utf8', timeout: 20_000 });
    return { code: result.status, stdout: result.stdout ?? '' };
  }

  /**
   * Adds program `name`: the sample app, `node server.js` run in `directory` (a `current` link, which
   * supervisord resolves at each spawn), listening on `port`. Not started. startsecs=0: `start` and
   * `restart` return once the process is spawned instead of waiting a second per start; rewind's
   * health check is what says the app is up (with the default 1, every case here takes a second longer).
   */
  async addProgram(name: string, directory: string, port: number): Promise<void> {
    await writeFile(
      join(this.root, 'programs', `${name}.conf`),
      `[program:${name}]
command=${process.execPath} server.js
directory=${directory}
environment=PORT="${port}",DRAIN_MS="0"
autostart=false
autorestart=false
startsecs=0
startretries=0
stopsignal=TERM
stopwaitsecs=5
stopasgroup=true
killasgroup=true
`,
    );
    const result = this.ctl('update', name);
    if (result.code !== 0) throw new Error(`supervisorctl update ${name} exited ${result.code}: ${result.stdout}`);
  }

  /** The program's state word (RUNNING, STOPPED, …) and pid (0 when none), from `supervisorctl status`. */
  status(name: string): { state: string; pid: number; code: number | null } {
    const result = this.ctl('status', name);
    const [, state = '', pid = '0'] = /^\S+\s+(\S+)(?:\s+pid (\d+))?/.exec(result.stdout) ?? [];
    return { state, pid: Number(pid), code: result.code };
  }

  /** Stops supervisord by its PID (it stops its programs first) and waits for it; removes its files. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killed = await Promise.race([this.exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!killed) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    if (existsSync(this.root)) await rm(this.root, { recursive: true, force: true });
  }
}
