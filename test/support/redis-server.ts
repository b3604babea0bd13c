import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RespClient } from '../../src/adapters/stores/redis/resp-client.js';
import { freePort } from '../../src/util/free-port.js';

/** Re-exported: the tests and the demo take their ports from one place (src/util/free-port.ts). */
export { freePort };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Running, and not a zombie: a daemonized Redis is reparented, and nobody may reap it at once. */
function processAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}


export interface RedisServerOptions {
  /** appendonly yes: the trap a restore must handle. */
  aof?: boolean;
  password?: string;
  /** Extra config lines (`rename-command BGSAVE ""`). */
  lines?: string[];
}

/**
 * A throwaway redis-server of a test's own (the shared one on 6379 keeps nothing on disk): its own
 * port, dir, config file, pidfile and log in a temp dir. It daemonizes, as the restart argv rewind
 * is given must; `restartArgv` is that argv. The test stops it by the PID in its pidfile (which a
 * restart by rewind rewrites) and removes the dir.
 */
export class RedisServer {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly conf: string,
    readonly password: string | undefined,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = await mkdtemp(join(tmpdir(), 'redis-'));
    const port = await freePort();
    const conf = join(dir, 'redis.conf');
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        'save ""',
        'daemonize yes',
        `pidfile ${join(dir, 'redis.pid')}`,
        `logfile ${join(dir, 'redis.log')}`,
        `appendonly ${options.aof ? 'yes' : 'no'}`,
        ...(options.password ? [`requirepass ${options.password}`] : []),
        ...(options.lines ?? []),
        '',
      ].join('\n'),
    );
    const server = new RedisServer(dir, port, conf, options.password);
    await server.restart();
    return server;
  }

  /** The argv that starts it again (daemonized: it returns once Redis is started). */
  get restartArgv(): string[] {
    return ['redis-server', this.conf];
  }

  get url(): string {
    return `redis://${this.password ? `:${encodeURIComponent(this.password)}@` : ''}127.0.0.1:${this.port}/0`;
  }

  /** Starts it and waits until it answers PING. */
  async restart(): Promise<void> {
    const result = spawnSync('redis-server', [this.conf], { encoding: 'utf8', timeout: 10_000 });
    if (result.status !== 0) throw new Error(`redis-server did not start: ${result.stderr}`);
    for (let i = 0; i < 200; i++) {
      try {
        await this.command('PING');
        return;
      } catch {
        await sleep(25);
      }
    }
    throw new Error(`redis-server on ${this.port} did not answer: ${this.log()}`);
  }

  log(): string {
    const file = join(this.dir, 'redis.log');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-10).join('\n') : '';
  }

  pid(): number | null {
    const file = join(this.dir, 'redis.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : null;
  }

  /** One command on a fresh connection (authenticated), for setting up and looking at the data. */
  async command(...args: (string | number)[]): Promise<unknown> {
    const client = await RespClient.open('127.0.0.1', this.port, 2_000);
    try {
      if (this.password) await client.command('AUTH', this.password);
      return await client.command(...args);
    } finally {
      client.close();
    }
  }

  /** Every key, sorted (test datasets are small: KEYS is fine here, never in rewind). */
  async keys(): Promise<string[]> {
    return ((await this.command('KEYS', '*')) as string[]).sort();
  }

  /** Stops it without saving and waits until it is gone. */
  async shutdown(): Promise<void> {
    const pid = this.pid();
    await this.command('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    for (let i = 0; pid && processAlive(pid) && i < 200; i++) await sleep(25);
  }

  /** Kills it by PID (whoever started it last) and removes its dir. */
  async stop(): Promise<void> {
    const pid = this.pid();
    if (pid && processAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      for (let i = 0; processAlive(pid) && i < 200; i++) await sleep(25);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
