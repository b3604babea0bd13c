import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleasesTarget } from '../src/adapters/targets/releases/releases-target.js';
import { inspectArtifact } from '../src/artifacts/artifact-digest.js';
import { ArtifactStore, STALE_WORK_MS } from '../src/artifacts/artifact-store.js';
import { parseConfigText } from '../src/config/load-config.js';
import { registerRelease } from '../src/core/register-release.js';
import { artifactNeeds } from '../src/core/release-retention.js';
import type { Services } from '../src/core/services.js';
import { pruneArtifactStore } from '../src/core/stored-artifacts.js';
import { MemorySink } from '../src/events/event-sinks.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { succeeded } from '../src/ports/outcome.js';
import type { Runtime } from '../src/ports/runtime.js';

// Which stored artifacts prune drops, on a real ledger and a real store: an entry stays while any
// release registered with its digest, in any environment, can still be deployed or rolled back to.

const notUsed = () => {
  throw new Error('not used');
};

const environment = (name: string, root: string) => `  ${name}:
    target:
      type: releases
      path: ${join(root, `srv-${name}`)}
      keep: 1
      runtime:
        type: command
        start: ["true"]
        reload: ["true"]
        stop: ["true"]
        status: ["true"]
`;

describe('pruning the artifact store', () => {
  let root: string;
  let ledger: Ledger;
  let services: Services;
  let store: ArtifactStore;
  /** Content name → its digest. */
  const digests: Record<string, string> = {};

  const build = async (content: string): Promise<string> => {
    const dir = join(root, 'builds', content);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'server.js'), `console.log(${JSON.stringify(content)});\n`);
    digests[content] = (await inspectArtifact(dir)).digest;
    return dir;
  };
  const register = async (env: string, version: string, content: string) => registerRelease(services, env, version, { artifact: await build(content), ci: 'passed' });
  const storedContents = async () => {
    const held = new Set((await store.entries()).map((e) => e.digest));
    return Object.keys(digests).filter((content) => held.has(digests[content]!)).sort();
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-store-retention-'));
    const config = parseConfigText(`ledger: ${join(root, 'rewind.db')}\nenvironments:\n${environment('staging', root)}${environment('production', root)}`, root);
    ledger = await openLedger(config.ledger);
    services = { config, ledger, sink: new MemorySink(), actor: 'tester', now: Date.now, createTarget: notUsed, checkHealth: notUsed, runSmoke: notUsed, createMetricSource: notUsed, createTrafficRouter: notUsed, executor: undefined as never, createDatabaseEngine: notUsed };
    store = new ArtifactStore(join(root, 'rewind-artifacts'));
  });
  afterAll(async () => {
    await ledger.close();
    await rm(root, { recursive: true, force: true });
  });

  it('keeps what the current release, the LKG, the newest `keep` good and releases still to deploy need, in every environment; drops the rest', async () => {
    // staging, keep 1, in registration order: A superseded (good once, now two good releases ago),
    // B superseded (the LKG), C failed, E registered and skipped, D good and current, C again as
    // 1.4.0, registered after D and not deployed yet.
    await register('staging', '1.0.0', 'A');
    await register('staging', '1.1.0', 'B');
    await register('staging', '1.2.0', 'C');
    await register('staging', '1.2.5', 'E');
    await register('staging', '1.3.0', 'D');
    await register('staging', '1.4.0', 'C');
    for (const version of ['1.0.0', '1.1.0', '1.3.0']) await ledger.markReleaseGood('staging', version, Date.now());
    for (const version of ['1.0.0', '1.1.0']) await ledger.setReleaseState('staging', version, 'superseded', Date.now());
    await ledger.setReleaseState('staging', '1.2.0', 'failed', Date.now());
    await ledger.setCurrentVersion('staging', '1.3.0', Date.now());
    // production has deployed nothing yet: its 2.0.0 is still to be deployed. It shares F with no one.
    await register('production', '2.0.0', 'F');
    // An environment gone from the config: rewind cannot judge its release, so its entry stays.
    const retired = await build('H');
    await store.put(retired, await inspectArtifact(retired));
    await ledger.registerRelease({ env: 'retired', version: '1.0.0', artifact: retired, digest: digests.H!, commit: null, ci: 'passed' }, Date.now());
    // An entry no release names (a register killed between its copy and its ledger write).
    const orphan = await build('O');
    await store.put(orphan, await inspectArtifact(orphan));
    // E registered in production as well, as the next thing to deploy there: E stays.
    await register('production', '2.1.0', 'E');
    expect(await storedContents()).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'H', 'O']);

    const here = await artifactNeeds(ledger, 'staging', 1);
    const pruned = await pruneArtifactStore({ ledger, config: services.config, env: 'staging', here });
    expect(pruned.dropped.sort()).toEqual([digests.A, digests.O].sort());
    expect(pruned.kept).toBe(6);
    // A: superseded beyond the newest good and not the LKG. O: no release. C: failed in 1.2.0, but
    // 1.4.0 is still to be deployed. E: skipped in staging, still to be deployed in production.
    expect(await storedContents()).toEqual(['B', 'C', 'D', 'E', 'F', 'H']);
    // Nothing half-removed is left behind.
    expect(readdirSync(store.entriesDir).filter((name) => name.startsWith('.'))).toEqual([]);

    // Once 1.4.0 has failed too, nothing needs C; a running operation keeps what it names.
    await ledger.setReleaseState('staging', '1.4.0', 'failed', Date.now());
    await ledger.createOperation({ id: 'op-running', env: 'production', kind: 'deploy', fromVersion: null, toVersion: '2.0.0', state: 'running', plan: {}, actor: 'tester', parentId: null, reason: null, error: null, startedAt: Date.now(), finishedAt: null });
    await ledger.setCurrentVersion('production', '2.1.0', Date.now());
    await ledger.markReleaseGood('production', '2.1.0', Date.now());
    const again = await pruneArtifactStore({ ledger, config: services.config, env: 'staging', here: await artifactNeeds(ledger, 'staging', 1) });
    expect(again.dropped).toEqual([digests.C]);
    // F: production's 2.0.0 is registered before its current 2.1.0 (skipped), but an operation is deploying it.
    expect(await storedContents()).toEqual(['B', 'D', 'E', 'F', 'H']);
  });

  it('removes what dead processes left (older than a day), never a copy under way', async () => {
    const hex = 'ab'.repeat(32);
    const old = Date.now() - STALE_WORK_MS - 60_000;
    const leftovers = [`.tmp-${hex}-${old}-0a1b2c3d`, `.del-${hex}-${old}-0a1b2c3e`, `.tmp-${hex}-${old}-0a1b2c3f.tgz`];
    const underWay = `.tmp-${hex}-${Date.now()}-0a1b2c40`;
    for (const name of [leftovers[0]!, leftovers[1]!, underWay]) await mkdir(join(store.entriesDir, name, 'lib'), { recursive: true });
    await writeFile(join(store.entriesDir, leftovers[2]!), 'half a tarball');
    const pruned = await pruneArtifactStore({ ledger, config: services.config, env: 'staging', here: await artifactNeeds(ledger, 'staging', 1) });
    expect(pruned.swept.sort()).toEqual([...leftovers].sort());
    expect(readdirSync(store.entriesDir).filter((name) => name.startsWith('.'))).toEqual([underWay]);
    await rm(join(store.entriesDir, underWay), { recursive: true });
  });

  it('puts an entry back when it is needed again by the time it was renamed away', async () => {
    const dir = await build('R');
    const { path } = await store.put(dir, await inspectArtifact(dir));
    const entry = (await store.entries()).find((e) => e.digest === digests.R)!;
    // The first look says nobody needs it; by the second (after the rename), a release does.
    let asked = 0;
    expect(await store.drop(entry, async () => asked++ > 0)).toBe(false);
    expect(asked).toBe(2);
    expect((await inspectArtifact(path)).digest).toBe(digests.R);
    expect(readdirSync(store.entriesDir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('replaces a damaged entry when the same content is registered again', async () => {
    const first = await register('staging', '1.5.0', 'S');
    await writeFile(join(first.stored, 'server.js'), 'console.log("tampered");\n');
    const again = await register('staging', '1.5.0', 'S');
    expect(again).toMatchObject({ created: false, copied: true, stored: first.stored });
    expect(await readFile(join(first.stored, 'server.js'), 'utf8')).toBe('console.log("S");\n');
  });

  it('unpacks from the registered path when the stored copy no longer passes, and from the store alone when the path is gone', async () => {
    const idle: Runtime = { type: 'idle', supportsZeroDowntimeReload: false, describeActivate: () => ({ summary: '', commands: [], effects: [] }), activate: async () => succeeded(''), stop: async () => succeeded(''), close: async () => {} };
    const target = new ReleasesTarget(join(root, 'srv-target'), idle);
    const registered = await register('staging', '1.6.0', 'T');
    const artifact = join(root, 'builds', 'T');
    await writeFile(join(registered.stored, 'server.js'), 'console.log("bit rot");\n');
    const fallback = await target.prepare({ version: '1.6.0', artifact, digest: digests.T!, stored: registered.stored });
    expect(fallback).toMatchObject({ status: 'succeeded', message: `unpacked 1.6.0 from ${artifact} (the stored copy did not pass)`, detail: { stored: false, source: artifact, storedRefused: expect.stringContaining(`rewind's stored copy ${registered.stored} has digest sha256:`) } });
    expect(await readFile(join(root, 'srv-target', 'releases', '1.6.0', 'server.js'), 'utf8')).toBe('console.log("T");\n');

    // Gone from the store since the plan named it (pruned meanwhile): the registered path, saying so.
    const pruned = await register('staging', '1.6.5', 'T2');
    await rm(pruned.stored, { recursive: true });
    const fromPath = await target.prepare({ version: '1.6.5', artifact: join(root, 'builds', 'T2'), digest: digests.T2!, stored: pruned.stored });
    expect(fromPath).toMatchObject({ status: 'succeeded', message: `unpacked 1.6.5 from ${join(root, 'builds', 'T2')} (the stored copy ${pruned.stored} is gone)`, detail: { stored: false } });

    const kept = await register('staging', '1.7.0', 'U');
    await rm(join(root, 'builds', 'U'), { recursive: true });
    const fromStore = await target.prepare({ version: '1.7.0', artifact: join(root, 'builds', 'U'), digest: digests.U!, stored: kept.stored });
    expect(fromStore).toMatchObject({ status: 'succeeded', message: "unpacked 1.7.0 from rewind's artifact store", detail: { stored: true, source: kept.stored } });
    expect(existsSync(join(root, 'srv-target', 'releases', '1.7.0', 'server.js'))).toBe(true);
  });
});
