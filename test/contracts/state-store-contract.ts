import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { isRewindError } from '../../src/errors/rewind-error.js';
import type { StateSnapshot, StateStore } from '../../src/ports/state-store.js';
import { contractSuite, type ContractRun } from './contract-suite.js';

/** What a StateStore test file hands the contract: a store on a real server it can also reach directly. */
export interface StateStoreHarness {
  store: StateStore;
  /** Writes, reads and lists on the same server, outside the store (the world seen from outside). */
  admin: {
    set(key: string, value: string, ttlMs?: number): Promise<void>;
    del(key: string): Promise<void>;
    flush(): Promise<void>;
    keys(): Promise<string[]>;
    /** The server process's PID now (a refused restore must not have restarted it). */
    pid(): number | null;
    /** Stops the server without saving and starts it again as the store's restart does. */
    restart(): Promise<void>;
    /** Stops the server without saving (and leaves it down). */
    stop(): Promise<void>;
  };
  /** A store on a server that refuses snapshots (BGSAVE renamed away), and what the message must name. */
  refusing: { store: StateStore; names: string };
  /** A store whose server does not answer, its URL carrying `secret` as the password. */
  unreachable: { store: StateStore; secret: string };
  /** The secret the working store's URL carries (never in a description, message or record). */
  secret: string;
  /** The prefixes the store was configured with; the contract writes keys under them. */
  prefixes: readonly [string, string];
  cleanup(): Promise<void>;
}

export interface StateStoreContractOptions extends ContractRun {
  type: string;
  /** `aof`: the server persists an append-only file, which a restore must not let win over the snapshot. */
  capabilities: { aof: boolean };
  create(): Promise<StateStoreHarness>;
}

async function rejectionOf(promise: Promise<unknown>): Promise<{ code: string; message: string; json: string }> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(isRewindError(error), String(error)).toBe(true);
  const coded = error as Error & { code: string; toJSON(): unknown };
  return { code: coded.code, message: coded.message, json: JSON.stringify(coded.toJSON()) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The StateStore contract, read from the doc comment of src/ports/state-store.ts, against a real
 * server: a snapshot changes no data and records what a restore is checked against; a restore puts
 * the snapshot's keys back whatever was written since (with AOF on too), refuses a file that is not
 * the one recorded before touching the server, and says which keys expired meanwhile; cleanup
 * deletes only what it is asked to; refusals are coded and name no password.
 */
export function stateStoreContract(options: StateStoreContractOptions): void {
  contractSuite('StateStore', options, (cases) => {
    let harness: StateStoreHarness;
    let backups: string;
    let snapshot: StateSnapshot;
    const store = () => harness.store;
    const [p1, p2] = ['a', 'b'] as const;
    const prefix = (which: typeof p1 | typeof p2) => harness.prefixes[which === p1 ? 0 : 1];

    beforeAll(async () => {
      harness = await options.create();
      backups = await mkdtemp(join(tmpdir(), 'snapshots-'));
      await harness.admin.flush();
    });
    afterAll(async () => {
      await harness?.cleanup();
      if (backups) await rm(backups, { recursive: true, force: true });
    });

    cases.it('reports its type and describes its server without the password', async () => {
      expect(store().type).toBe(options.type);
      expect(store().describe()).not.toContain(harness.secret);
      const info = await store().info();
      expect(info.version).toMatch(/^\d+\.\d+/);
      expect(info.aof).toBe(options.capabilities.aof);
    });

    cases.it('counts keys per prefix by scanning, and how many of them have a TTL', async () => {
      for (let i = 0; i < 25; i++) await harness.admin.set(`${prefix(p1)}${i}`, 'v');
      await harness.admin.set(`${prefix(p2)}x`, 'v', 60_000);
      await harness.admin.set('other:1', 'v');
      expect(await store().countKeys()).toEqual({ [prefix(p1)]: { keys: 25, volatile: 0 }, [prefix(p2)]: { keys: 1, volatile: 1 } });
    });

    cases.it('takes a snapshot: an RDB with its sha256, the version, the AOF state and exact key counts; the data is unchanged', async () => {
      const before = await harness.admin.keys();
      snapshot = await store().snapshot(join(backups, 'one.rdb'));
      expect(snapshot.path).toBe(join(backups, 'one.rdb'));
      expect(readFileSync(snapshot.path).subarray(0, 5).toString()).toBe('REDIS');
      expect(snapshot.size).toBe(readFileSync(snapshot.path).length);
      expect(snapshot.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(snapshot.aof).toBe(options.capabilities.aof);
      expect(snapshot.keyCounts).toEqual({ [prefix(p1)]: { keys: 25, volatile: 0 }, [prefix(p2)]: { keys: 1, volatile: 1 } });
      expect(snapshot.exactCounts).toBe(true);
      expect(existsSync(`${snapshot.path}.partial`)).toBe(false);
      expect(await harness.admin.keys()).toEqual(before);
    });

    cases.it('verifies the snapshot as recorded and refuses a copy whose bytes changed', async () => {
      expect(await store().verify(snapshot)).toEqual({ ok: true });
      const changed = join(backups, 'changed.rdb');
      const bytes = readFileSync(snapshot.path);
      bytes[bytes.length - 12] ^= 0xff;
      writeFileSync(changed, bytes);
      const verdict = await store().verify({ ...snapshot, path: changed });
      expect(verdict.ok).toBe(false);
      expect(verdict.reason).toMatch(/checksum mismatch/);
    });

    cases.it('refuses to restore a corrupted snapshot before touching the server', async () => {
      await harness.admin.set(`${prefix(p1)}after-snapshot`, 'v');
      const pid = harness.admin.pid();
      const keys = await harness.admin.keys();
      const corrupt = join(backups, 'corrupt.rdb');
      const bytes = readFileSync(snapshot.path);
      bytes[9] ^= 0xff;
      writeFileSync(corrupt, bytes);
      const refusal = await rejectionOf(store().restore({ ...snapshot, path: corrupt }));
      expect(refusal.code).toBe('REWIND_E_BACKUP_CORRUPT');
      expect(refusal.message).toContain(corrupt);
      expect(harness.admin.pid()).toBe(pid);
      expect(await harness.admin.keys()).toEqual(keys);
    });

    cases.it('restores the snapshot over writes, deletes and a flush made since, and reports the key counts', async () => {
      await harness.admin.del(`${prefix(p1)}3`);
      await harness.admin.set(`${prefix(p2)}new`, 'v');
      const report = await store().restore(snapshot);
      expect(report.keyCounts).toEqual(snapshot.keyCounts);
      expect(report.expired).toEqual({});
      const keys = await harness.admin.keys();
      expect(keys).toContain(`${prefix(p1)}3`);
      expect(keys).not.toContain(`${prefix(p1)}after-snapshot`);
      expect(keys).not.toContain(`${prefix(p2)}new`);
      expect(keys).toHaveLength(27);
      expect(report.aofMovedTo === null).toBe(!options.capabilities.aof);
    }, 30_000);

    cases.itWith('aof', options.capabilities.aof, 'with AOF on, the next plain restart loads the restored data and what was written since', async () => {
      // The restore seeded the append-only file from the snapshot: a restart replays that, not the
      // data from before the restore (which would come back if the old AOF had been left in place).
      await harness.admin.set(`${prefix(p1)}written-after-restore`, 'v');
      await harness.admin.restart();
      const keys = await harness.admin.keys();
      expect(keys).toContain(`${prefix(p1)}written-after-restore`);
      expect(keys).toContain(`${prefix(p1)}3`);
      expect(keys).not.toContain(`${prefix(p1)}after-snapshot`);
      expect(keys).toHaveLength(28);
      await harness.admin.del(`${prefix(p1)}written-after-restore`);
    }, 30_000);

    cases.it('says which keys expired while the snapshot waited (fewer keys, all of them with a TTL)', async () => {
      await harness.admin.set(`${prefix(p2)}short`, 'v', 1_500);
      const withShort = await store().snapshot(join(backups, 'ttl.rdb'));
      expect(withShort.keyCounts[prefix(p2)]).toEqual({ keys: 2, volatile: 2 });
      await sleep(1_700);
      const report = await store().restore(withShort);
      expect(report.expired).toEqual({ [prefix(p2)]: 1 });
      expect(report.keyCounts[prefix(p2)]).toEqual({ keys: 1, volatile: 1 });
    }, 30_000);

    cases.it('restores onto a server that is down when it starts (a restore resumed after a crash): starts it first', async () => {
      await harness.admin.set(`${prefix(p1)}before-crash`, 'v');
      await harness.admin.stop();
      const report = await store().restore(snapshot);
      expect(report.keyCounts).toEqual(snapshot.keyCounts);
      const keys = await harness.admin.keys();
      expect(keys).not.toContain(`${prefix(p1)}before-crash`);
      expect(keys).toHaveLength(27);
    }, 30_000);

    cases.it('cleans up by pattern with counts, leaving every other key', async () => {
      await harness.admin.set('login:1', 'v');
      await harness.admin.set('login:2', 'v');
      await harness.admin.set('tmp:1', 'v');
      const before = await harness.admin.keys();
      const report = await store().cleanup({ patterns: ['login:*', 'tmp:*', 'nothing:*'], flushdb: false });
      expect(report).toEqual({ deleted: { 'login:*': 2, 'tmp:*': 1, 'nothing:*': 0 }, flushed: false });
      expect(await harness.admin.keys()).toEqual(before.filter((k) => !/^(login|tmp):/.test(k)));
      expect(before.length - (await harness.admin.keys()).length).toBe(3);
    });

    cases.it('empties the database only when flushdb is asked for', async () => {
      const count = (await harness.admin.keys()).length;
      expect(count).toBeGreaterThan(0);
      expect(await store().cleanup({ patterns: [], flushdb: true })).toEqual({ deleted: { '*': count }, flushed: true });
      expect(await harness.admin.keys()).toEqual([]);
    });

    cases.it('refuses a snapshot on a server that will not BGSAVE, with a coded error naming it and no file', async () => {
      const destination = join(backups, 'refused.rdb');
      const refusal = await rejectionOf(harness.refusing.store.snapshot(destination));
      expect(refusal.code).toBe('REWIND_E_STATE_SNAPSHOT_FAILED');
      expect(refusal.message).toContain(harness.refusing.names);
      expect(existsSync(destination)).toBe(false);
      expect(existsSync(`${destination}.partial`)).toBe(false);
    });

    cases.it('names an unreachable server by host and port, never its password', async () => {
      const refusal = await rejectionOf(harness.unreachable.store.info());
      expect(refusal.code).toBe('REWIND_E_STATE_UNREACHABLE');
      expect(refusal.json).not.toContain(harness.unreachable.secret);
      expect(refusal.message).toContain(harness.unreachable.store.describe());
    });
  });
}
