import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { LockRecord } from '../ports/ledger.js';
import { describeHolder, lockIsStale } from './lock-manager.js';

const lock = (over: Partial<LockRecord>): LockRecord => ({
  env: 'production',
  token: 't',
  holder: 'ana@web-1',
  host: hostname(),
  pid: process.pid,
  operationId: 'op_1',
  acquiredAt: 1_000,
  heartbeatAt: 1_000,
  expiresAt: 61_000,
  ...over,
});

// A pid that certainly existed and has exited.
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('lock staleness: nothing can wedge, nothing live is stolen', () => {
  it('is stale once expired, whoever holds it', () => {
    expect(lockIsStale(lock({ host: 'other-host', pid: 1 }), 61_001)).toBe(true);
  });

  it('is stale at once when its holder was a process on this host that is gone', () => {
    expect(lockIsStale(lock({ pid: deadPid() }), 2_000)).toBe(true);
  });

  it('is not stale while a live holder on this host is within its expiry', () => {
    const parent = process.ppid;
    expect(lockIsStale(lock({ pid: parent }), 2_000)).toBe(false);
  });

  it('never judges a holder on another host by pid: it waits for expiry', () => {
    expect(lockIsStale(lock({ host: 'web-2', pid: deadPid() }), 2_000)).toBe(false);
  });

  it('names holder, pid, host and operation for the LOCKED error', () => {
    expect(describeHolder(lock({ pid: 42, host: 'web-1' }))).toBe('ana@web-1 (pid 42 on web-1, operation op_1) since 1970-01-01T00:00:01.000Z');
  });
});
