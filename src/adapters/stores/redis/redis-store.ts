import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RewindError } from '../../../errors/rewind-error.js';
import type { Executor } from '../../../ports/executor.js';
import type { CleanupReport, CleanupRequest, KeyCounts, StateRestoreReport, StateSnapshot, StateStore, StateStoreInfo } from '../../../ports/state-store.js';
import { sha256File, writeHashed } from '../../databases/backup-digest.js';
import type { RedisStateConfig } from './redis-config.js';
import { placeSnapshot, readsAsRdb, type RedisFiles } from './redis-files.js';
import { countKeys, deleteKeys } from './redis-keys.js';
import { RespClient, RespError } from './resp-client.js';

const CONNECT_TIMEOUT_MS = 5_000;
const POLL_MS = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Endpoint {
  host: string;
  port: number;
  db: number;
  username: string;
  password: string;
}

function endpointOf(url: string): Endpoint {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    db: db ? Number(db) : 0,
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

/** `field:value` lines of an INFO section. */
const infoFields = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\r\n')
      .filter((line) => line.includes(':') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
  );

/** The server's own words, and what they usually mean for a snapshot. */
function refusalOf(error: unknown): string {
  if (!(error instanceof RespError)) return (error as Error).message;
  if (/unknown command/i.test(error.message)) return `${error.message} (renamed or disabled with rename-command?)`;
  if (error.prefix === 'MISCONF') return `${error.message} (the last background save failed and stop-writes-on-bgsave-error is on)`;
  return error.message;
}

/**
 * The Redis state store: one connection per call (rewind's operations are short and far apart),
 * data only through the RESP client, the restart through the executor as the configured argv.
 */
export class RedisStateStore implements StateStore {
  readonly type = 'redis';
  private readonly endpoint: Endpoint;

  constructor(
    private readonly config: RedisStateConfig,
    private readonly executor: Executor,
  ) {
    this.endpoint = endpointOf(config.url);
  }

  describe(): string {
    const { host, port, db } = this.endpoint;
    return `redis ${host}:${port} db ${db}`;
  }

  private async connect(): Promise<RespClient> {
    const { host, port, db, username, password } = this.endpoint;
    let client: RespClient;
    try {
      client = await RespClient.open(host, port, CONNECT_TIMEOUT_MS);
    } catch (error) {
      throw new RewindError('REWIND_E_STATE_UNREACHABLE', `${this.describe()} does not answer: ${(error as Error).message}`, { store: this.describe() });
    }
    try {
      if (password) await client.command(...(username ? ['AUTH', username, password] : ['AUTH', password]));
      if (db) await client.command('SELECT', db);
      return client;
    } catch (error) {
      client.close();
      // The reply names neither the password nor the user: Redis says WRONGPASS or NOAUTH.
      throw new RewindError('REWIND_E_STATE_UNREACHABLE', `${this.describe()} refused the connection: ${(error as Error).message}`, { store: this.describe() });
    }
  }

  private async with<T>(work: (client: RespClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await work(client);
    } finally {
      client.close();
    }
  }

  private async infoOf(client: RespClient): Promise<StateStoreInfo> {
    const server = infoFields(String(await client.command('INFO', 'server')));
    const persistence = infoFields(String(await client.command('INFO', 'persistence')));
    return { version: server.redis_version ?? 'unknown', aof: persistence.aof_enabled === '1' };
  }

  info(): Promise<StateStoreInfo> {
    return this.with((client) => this.infoOf(client));
  }

  countKeys(): Promise<KeyCounts> {
    return this.with((client) => countKeys(client, this.config.prefixes));
  }

  /** Where the server keeps its files: CONFIG GET, or the config's overrides when CONFIG is renamed. */
  private async filesOf(client: RespClient, failure: 'REWIND_E_STATE_SNAPSHOT_FAILED' | 'REWIND_E_STATE_RESTORE_FAILED'): Promise<RedisFiles> {
    const get = async (parameter: string, override: string | undefined, fallback?: string): Promise<string> => {
      if (override) return override;
      try {
        const reply = (await client.command('CONFIG', 'GET', parameter)) as string[];
        if (reply[1] !== undefined) return reply[1];
        if (fallback !== undefined) return fallback;
        throw new Error(`CONFIG GET ${parameter} returned nothing`);
      } catch (error) {
        // The AOF names matter only with AOF on, and are the defaults unless someone renamed them.
        if (fallback !== undefined) return fallback;
        const key = { dir: 'dataDir', dbfilename: 'dbfilename' }[parameter];
        throw new RewindError(failure, `${this.describe()} would not say its ${parameter} (${refusalOf(error)}): set state.${key} in rewind.yaml`, { store: this.describe(), parameter });
      }
    };
    return {
      dir: await get('dir', this.config.dataDir),
      dbfilename: await get('dbfilename', this.config.dbfilename),
      appendDirname: await get('appenddirname', this.config.appendDirname, 'appendonlydir'),
      appendFilename: await get('appendfilename', undefined, 'appendonly.aof'),
    };
  }

  /**
   * BGSAVE, then wait until LASTSAVE moves past the save before it and INFO persistence says the
   * background save succeeded; copy the RDB with its sha256. Paths are resolved before BGSAVE, so a
   * server that refuses anything refuses before a save is started.
   */
  async snapshot(destination: string): Promise<StateSnapshot> {
    const started = performance.now();
    return this.with(async (client) => {
      const { version, aof } = await this.infoOf(client);
      const files = await this.filesOf(client, 'REWIND_E_STATE_SNAPSHOT_FAILED');
      const before = await countKeys(client, this.config.prefixes);
      await this.backgroundSave(client);
      const source = `${files.dir}/${files.dbfilename}`;
      await mkdir(dirname(destination), { recursive: true });
      const partial = `${destination}.partial`;
      let written: { size: number; sha256: string };
      try {
        // An open file keeps its bytes: a later save renames a new dump over it, never rewrites this one.
        written = await writeHashed(createReadStream(source), partial);
        if (!(await readsAsRdb(partial))) throw new Error(`${source} is not an RDB file`);
        await rename(partial, destination);
      } catch (error) {
        await rm(partial, { force: true });
        throw new RewindError('REWIND_E_STATE_SNAPSHOT_FAILED', `could not copy ${source} after BGSAVE: ${(error as Error).message}`, { store: this.describe(), path: source });
      }
      const after = await countKeys(client, this.config.prefixes);
      return {
        path: destination,
        sha256: written.sha256,
        size: written.size,
        version,
        aof,
        keyCounts: after,
        exactCounts: JSON.stringify(before) === JSON.stringify(after),
        durationMs: Math.round(performance.now() - started),
      };
    });
  }

  private async backgroundSave(client: RespClient): Promise<void> {
    const refuse = (why: string): never => {
      throw new RewindError('REWIND_E_STATE_SNAPSHOT_FAILED', `${this.describe()} did not take a snapshot: ${why}`, { store: this.describe() });
    };
    const persistence = async () => infoFields(String(await client.command('INFO', 'persistence')));
    const lastSave = async () => Number(await client.command('LASTSAVE'));
    // LASTSAVE counts seconds: a save finishing in the second of the previous one would not move it.
    // Starting in a later second than the previous save makes "moved" unambiguous.
    let previous: number;
    let started: boolean;
    try {
      while ((await persistence()).rdb_bgsave_in_progress === '1') await sleep(POLL_MS);
      previous = await lastSave();
      while (Number(((await client.command('TIME')) as string[])[0]) <= previous) await sleep(POLL_MS);
      // While an AOF rewrite runs, Redis only schedules the save: until it starts, the status is an older save's.
      started = !/scheduled/i.test(String(await client.command('BGSAVE')));
    } catch (error) {
      return refuse(`BGSAVE refused: ${refusalOf(error)}`);
    }
    const deadline = Date.now() + this.config.timeoutMs;
    for (;;) {
      const info = await persistence();
      if (info.rdb_bgsave_in_progress === '1') started = true;
      else {
        // A failed save does not move LASTSAVE; a moved LASTSAVE is this save (or a later one), done.
        const failedSave = info.rdb_last_bgsave_status !== 'ok';
        if ((await lastSave()) > previous && !failedSave) return;
        if (started && failedSave) return refuse(`the background save failed (rdb_last_bgsave_status:${info.rdb_last_bgsave_status}); the Redis log says why`);
      }
      if (Date.now() > deadline) return refuse(`BGSAVE did not finish within ${this.config.timeoutMs} ms`);
      await sleep(POLL_MS);
    }
  }

  async verify(snapshot: Pick<StateSnapshot, 'path' | 'sha256'>): Promise<{ ok: boolean; reason?: string }> {
    if (!existsSync(snapshot.path)) return { ok: false, reason: `snapshot ${snapshot.path} does not exist` };
    try {
      const actual = await sha256File(snapshot.path);
      if (actual !== snapshot.sha256) return { ok: false, reason: `checksum mismatch for ${snapshot.path}: recorded sha256 ${snapshot.sha256}, found ${actual}` };
      if (!(await readsAsRdb(snapshot.path))) return { ok: false, reason: `${snapshot.path} does not start with the RDB header` };
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `cannot read ${snapshot.path}: ${(error as Error).message}` };
    }
  }

  /**
   * SHUTDOWN NOSAVE (the live data is what the restore replaces; saving it would only race the
   * copy), put the RDB back (and seed the AOF from it when AOF is on), start Redis with the
   * configured argv, wait for PING and INFO loading:0, then compare key counts with the snapshot's.
   * DEBUG RELOAD is not used: Redis 7 refuses DEBUG unless enable-debug-command is set.
   */
  async restore(snapshot: Omit<StateSnapshot, 'durationMs'>): Promise<StateRestoreReport> {
    const started = performance.now();
    const verdict = await this.verify(snapshot);
    if (!verdict.ok) throw new RewindError('REWIND_E_BACKUP_CORRUPT', `refusing to restore: ${verdict.reason}`, { path: snapshot.path, sha256: snapshot.sha256 });
    const restart = this.config.restart;
    if (!restart) throw new RewindError('REWIND_E_CONFIG_INVALID', 'restoring a Redis snapshot needs state.restart (the argv that starts Redis again)');
    const client = await this.connectOrRestart(restart);
    let files: RedisFiles;
    let info: StateStoreInfo;
    try {
      info = await this.infoOf(client);
      files = await this.filesOf(client, 'REWIND_E_STATE_RESTORE_FAILED');
      const gone = client.closed();
      client.command('SHUTDOWN', 'NOSAVE').catch(() => undefined); // the reply is the connection closing
      await gone;
    } finally {
      client.close();
    }
    await this.waitUntilDown();
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    const aofMovedTo = await placeSnapshot(snapshot.path, files, { aof: info.aof, major: Number(info.version.split('.')[0]), stamp });
    try {
      await this.start(restart);
    } catch (error) {
      throw new RewindError('REWIND_E_STATE_RESTORE_FAILED', `the snapshot is in place in ${files.dir}, but Redis did not come back: ${(error as Error).message}`, { store: this.describe() });
    }
    const keyCounts = await this.countKeys();
    const { expired, problems } = compareCounts(snapshot, keyCounts);
    if (problems.length > 0 && snapshot.exactCounts) {
      throw new RewindError('REWIND_E_RESTORE_MISMATCH', `${this.describe()} answers after the restore, but its key counts differ from the snapshot's: ${problems.join('; ')}`, { store: this.describe(), problems });
    }
    return { keyCounts, expired, aofMovedTo, durationMs: Math.round(performance.now() - started) };
  }

  /**
   * A restore cut short after SHUTDOWN (rewind killed, the host rebooted) leaves Redis down; run
   * again by `rewind resume`, it starts Redis with the restart argv first and then restores as usual.
   */
  private async connectOrRestart(restart: readonly string[]): Promise<RespClient> {
    try {
      return await this.connect();
    } catch (error) {
      if ((error as RewindError).code !== 'REWIND_E_STATE_UNREACHABLE' || /refused the connection/.test((error as Error).message)) throw error;
      await this.start(restart);
      return this.connect();
    }
  }

  private async start(restart: readonly string[]): Promise<void> {
    const result = await this.executor.run({ argv: restart, timeoutMs: this.config.timeoutMs });
    if (result.exitCode !== 0) {
      const output = `${result.stderr || result.stdout}`.trim().split('\n').slice(-3).join(' | ');
      throw new RewindError('REWIND_E_STATE_RESTORE_FAILED', `the restart command ${restart[0]} ${result.timedOut ? 'timed out' : `exited ${result.exitCode ?? result.signal}`}${output ? `: ${output}` : ''}`, { store: this.describe() });
    }
    await this.waitUntilLoaded();
  }

  private async waitUntilDown(): Promise<void> {
    const deadline = Date.now() + this.config.timeoutMs;
    for (;;) {
      try {
        (await RespClient.open(this.endpoint.host, this.endpoint.port, CONNECT_TIMEOUT_MS)).close();
      } catch {
        return;
      }
      if (Date.now() > deadline) throw new RewindError('REWIND_E_STATE_RESTORE_FAILED', `${this.describe()} still accepts connections after SHUTDOWN NOSAVE`, { store: this.describe() });
      await sleep(POLL_MS);
    }
  }

  /** PING answers and INFO persistence says loading:0 (a server loading a big RDB answers LOADING). */
  private async waitUntilLoaded(): Promise<void> {
    const deadline = Date.now() + this.config.timeoutMs;
    let last = '';
    for (;;) {
      try {
        const loaded = await this.with(async (client) => {
          await client.command('PING');
          return infoFields(String(await client.command('INFO', 'persistence'))).loading === '0';
        });
        if (loaded) return;
        last = 'still loading';
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) throw new RewindError('REWIND_E_STATE_RESTORE_FAILED', `${this.describe()} did not come back within ${this.config.timeoutMs} ms after the restart (${last})`, { store: this.describe() });
      await sleep(POLL_MS);
    }
  }

  cleanup(request: CleanupRequest): Promise<CleanupReport> {
    return this.with((client) => deleteKeys(client, request));
  }

  async close(): Promise<void> {
    // One connection per call: nothing stays open.
  }
}

/**
 * Counts after a restore against the snapshot's. Fewer keys, up to the number that had a TTL, is
 * what loading does (expired keys are not loaded); more keys, or more missing than had a TTL, is not.
 */
export function compareCounts(snapshot: Pick<StateSnapshot, 'keyCounts'>, now: KeyCounts): { expired: Record<string, number>; problems: string[] } {
  const expired: Record<string, number> = {};
  const problems: string[] = [];
  for (const [prefix, recorded] of Object.entries(snapshot.keyCounts)) {
    const found = now[prefix]?.keys ?? 0;
    const missing = recorded.keys - found;
    if (missing < 0) problems.push(`${prefix}: ${found} keys, the snapshot recorded ${recorded.keys}`);
    else if (missing > recorded.volatile) problems.push(`${prefix}: ${found} keys, the snapshot recorded ${recorded.keys} of which only ${recorded.volatile} had a TTL`);
    else if (missing > 0) expired[prefix] = missing;
  }
  return { expired, problems };
}
