import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDigest } from '../src/artifacts/artifact-digest.js';
import { buildSampleArtifact } from '../src/demo/sample-artifacts.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import { createSandbox, ENV, runCli, type CliResult, type Sandbox } from './support/sandbox.js';

const CTL = join(import.meta.dirname, 'fixtures', 'app-ctl.mjs');

// rewind keeps its own copy of every registered artifact and deploys from it. The README's pattern
// (build into ./build, register each version from there) used to strand every older release: a
// rebuilt ./build no longer had its digest, a moved or deleted one was gone, and the rollback that
// needed the old release failed at prepare. These drive the real CLI on real files.
describe('the artifact store: releases stay deployable whatever happens to the build folder', () => {
  let sandbox: Sandbox;
  let build: string;
  let store: string;

  /** Builds the sample app for `version` into ./build, replacing what was there (same path, new content). */
  const rebuild = async (version: string, into = build) => {
    const staging = await buildSampleArtifact(join(sandbox.root, 'staging-builds'), { version });
    await rm(into, { recursive: true, force: true });
    await rename(staging, into);
  };
  const ok = (result: CliResult) => {
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    return result;
  };
  const register = async (version: string, artifact = build) => JSON.parse(ok(await sandbox.cli(['release', 'register', ENV, version, '--artifact', artifact, '--ci', 'passed', '--json'])).stdout) as { created: boolean; copied: boolean; stored: string; release: { digest: string; artifact: string } };
  const entries = () => (existsSync(join(store, 'sha256')) ? readdirSync(join(store, 'sha256')).sort() : []);
  const hex = (digest: string) => digest.replace('sha256:', '');
  const prepareOf = async (operationId: string) => (await sandbox.ledger.listSteps(operationId)).find((s) => s.stepId === 'prepare')!.detail as Record<string, unknown>;
  const lastOperation = async () => (await sandbox.ledger.listOperations(ENV, { limit: 1 }))[0]!;

  beforeAll(async () => {
    const argv = (action: string, root: string, port: number) => JSON.stringify([process.execPath, CTL, action, join(root, 'app.pid'), '{current_dir}', String(port)]);
    sandbox = await createSandbox({
      runtimeYaml: (root, port) => `        type: command
        start: ${argv('start', root, port)}
        reload: ${argv('reload', root, port)}
        stop: ${argv('stop', root, port)}
        status: ${argv('status', root, port)}`,
    });
    build = join(sandbox.root, 'build');
    // The default: beside the SQLite ledger (the sandbox's is <root>/rewind.db).
    store = join(sandbox.root, 'rewind-artifacts');
  });
  afterAll(async () => {
    spawnSync(process.execPath, [CTL, 'stop', join(sandbox.root, 'app.pid'), sandbox.root, String(sandbox.port)]);
    await sandbox?.close();
  });

  it('rebuilding ./build and registering the next version leaves the older release a working rollback target', async () => {
    await rebuild('1.0.0');
    const first = await register('1.0.0');
    ok(await sandbox.cli(['deploy', ENV, '1.0.0']));

    await rebuild('1.1.0');
    const second = await register('1.1.0');
    expect(second.release.artifact).toBe(build);
    ok(await sandbox.cli(['deploy', ENV, '1.1.0']));
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });

    // The release a rollback needs is no longer unpacked (a cleaned releases folder, a rebuilt host),
    // and ./build holds 1.1.0: the rollback unpacks 1.0.0 from rewind's stored copy. (It used to
    // stop at prepare: ./build "has digest …, but 1.0.0 was registered with …".)
    await rm(join(sandbox.root, 'srv', 'releases', '1.0.0'), { recursive: true });
    const back = ok(await sandbox.cli(['rollback', ENV, '--yes']));
    expect(back.stdout).toContain('1.0.0');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(first).toMatchObject({ created: true, copied: true, stored: join(store, 'sha256', hex(first.release.digest)), release: { artifact: build } });
    expect(entries()).toEqual([hex(first.release.digest), hex(second.release.digest)].sort());
    const rollback = await lastOperation();
    expect(rollback).toMatchObject({ kind: 'rollback', state: 'succeeded', toVersion: '1.0.0' });
    expect(await prepareOf(rollback.id)).toMatchObject({ reused: false, stored: true, source: first.stored, message: "unpacked 1.0.0 from rewind's artifact store" });
    // What was unpacked is 1.0.0's content, and ./build was not touched.
    expect(JSON.parse(await readFile(join(sandbox.root, 'srv', 'releases', '1.0.0', 'release.json'), 'utf8'))).toMatchObject({ version: '1.0.0' });
    expect(JSON.parse(await readFile(join(build, 'release.json'), 'utf8'))).toMatchObject({ version: '1.1.0' });
  });

  it('a release registered before a rebuild deploys from the store, and the build folder may be moved or deleted', async () => {
    await rebuild('1.2.0');
    const older = await register('1.2.0');
    await rebuild('1.3.0');
    await register('1.3.0');
    // Moving the folder away: neither registered path exists any more.
    await rename(build, join(sandbox.root, 'moved-build'));

    ok(await sandbox.cli(['deploy', ENV, '1.2.0']));
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.2.0' });
    expect(await prepareOf((await lastOperation()).id)).toMatchObject({ stored: true, source: older.stored });

    // The plan names the stored copy it unpacks (--dry-run shows it).
    const plan = JSON.parse(ok(await sandbox.cli(['deploy', ENV, '1.3.0', '--dry-run', '--json'])).stdout) as { plan: { steps: { id: string; title: string; params: Record<string, unknown> }[] } };
    const prepareStep = plan.plan.steps.find((s) => s.id === 'prepare')!;
    const newer = (await sandbox.ledger.getRelease(ENV, '1.3.0'))!;
    const newerStored = join(store, 'sha256', hex(newer.digest));
    expect(prepareStep.params).toEqual({ version: '1.3.0', artifact: build, digest: newer.digest, stored: newerStored });
    expect(prepareStep.title).toContain(`unpack ${newerStored} (rewind's stored copy of ${build})`);
    ok(await sandbox.cli(['deploy', ENV, '1.3.0']));
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.3.0' });

    // Deleted outright, and 1.2.0's directory gone too: the rollback still has its stored copy.
    await rm(join(sandbox.root, 'moved-build'), { recursive: true });
    await rm(join(sandbox.root, 'srv', 'releases', '1.2.0'), { recursive: true });
    ok(await sandbox.cli(['rollback', ENV, '--yes']));
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.2.0' });
  });

  it('stores the same content once: two versions, two paths, a directory and a tarball', async () => {
    const a = join(sandbox.root, 'same-a');
    await mkdir(join(a, 'lib'), { recursive: true });
    await writeFile(join(a, 'server.js'), 'console.log("same");\n');
    await writeFile(join(a, 'lib', 'util.js'), 'module.exports = 2;\n');
    const b = join(sandbox.root, 'same-b');
    await cp(a, b, { recursive: true });
    const before = entries();
    const first = await register('2.0.0', a);
    const second = await register('2.0.1', b);
    expect(first).toMatchObject({ created: true, copied: true });
    expect(second).toMatchObject({ created: true, copied: false, stored: first.stored });
    expect(second.release.digest).toBe(first.release.digest);
    expect(entries()).toEqual([...before, hex(first.release.digest)].sort());

    // A tarball is kept as its bytes, <hex>.tgz, once.
    const tarball = join(sandbox.root, 'same.tgz');
    execFileSync('tar', ['-czf', tarball, '-C', a, '.']);
    const packed = await register('2.1.0', tarball);
    const again = await register('2.1.1', tarball);
    expect(packed).toMatchObject({ copied: true, stored: join(store, 'sha256', `${hex(packed.release.digest)}.tgz`) });
    expect(again).toMatchObject({ copied: false, stored: packed.stored });
    expect(`sha256:${createHash('sha256').update(await readFile(packed.stored)).digest('hex')}`).toBe(packed.release.digest);
    expect(entries()).toEqual([...before, hex(first.release.digest), `${hex(packed.release.digest)}.tgz`].sort());
  });

  it('re-registering a version with the same content from a new path is a no-op that says so; other content is a conflict that stores nothing', async () => {
    const moved = join(sandbox.root, 'same-moved');
    await cp(join(sandbox.root, 'same-a'), moved, { recursive: true });
    const before = entries();
    const human = ok(await sandbox.cli(['release', 'register', ENV, '2.0.0', '--artifact', moved]));
    const stored = join(store, 'sha256', hex((await sandbox.ledger.getRelease(ENV, '2.0.0'))!.digest));
    expect(human.stdout).toBe(`${ENV} 2.0.0 (#5) already registered with this digest (stored at ${stored}); nothing to do\n`);
    const json = await register('2.0.0', moved);
    expect(json).toMatchObject({ created: false, copied: false, stored, release: { artifact: join(sandbox.root, 'same-a') } });
    expect(entries()).toEqual(before);

    await writeFile(join(moved, 'server.js'), 'console.log("different");\n');
    const conflict = await sandbox.cli(['release', 'register', ENV, '2.0.0', '--artifact', moved]);
    expect(conflict.code).toBe(3);
    expect(conflict.stderr).toContain('error REWIND_E_RELEASE_DIGEST_CONFLICT');
    expect(entries()).toEqual(before);
  });

  it('a release registered before the store existed deploys from its registered path, and registering it again stores it', async () => {
    // A ledger row exactly as the previous rewind wrote it: the path and the digest, no stored copy.
    const legacy = await buildSampleArtifact(join(sandbox.root, 'legacy'), { version: '3.0.0' });
    const digest = await artifactDigest(legacy);
    await sandbox.ledger.registerRelease({ env: ENV, version: '3.0.0', artifact: legacy, digest, commit: null, ci: 'passed' }, Date.now());
    expect(entries()).not.toContain(hex(digest));

    const plan = JSON.parse(ok(await sandbox.cli(['deploy', ENV, '3.0.0', '--dry-run', '--json'])).stdout) as { plan: { steps: { id: string; params: Record<string, unknown> }[] } };
    expect(plan.plan.steps.find((s) => s.id === 'prepare')!.params).toEqual({ version: '3.0.0', artifact: legacy, digest });
    ok(await sandbox.cli(['deploy', ENV, '3.0.0']));
    expect(await sandbox.served()).toEqual({ status: 200, version: '3.0.0' });
    expect(await prepareOf((await lastOperation()).id)).toMatchObject({ stored: false, source: legacy, message: `unpacked 3.0.0 from ${legacy} (rewind's artifact store holds no copy)` });

    // Registering it again (same content) puts it in the store, and says so.
    const again = ok(await sandbox.cli(['release', 'register', ENV, '3.0.0', '--artifact', legacy]));
    expect(again.stdout).toContain(`already registered with this digest; its artifact was not in the store and is now stored at ${join(store, 'sha256', hex(digest))}`);
    expect(entries()).toContain(hex(digest));
  });

  it('a deploy with neither a stored copy nor the build folder stops in preflight, naming both', async () => {
    await rebuild('4.0.0');
    const gone = await register('4.0.0');
    await rm(build, { recursive: true });
    await rm(gone.stored, { recursive: true });
    const result = await sandbox.cli(['deploy', ENV, '4.0.0']);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain(`artifact ${build} is gone and 4.0.0 is not unpacked (rewind's artifact store holds no copy of ${gone.release.digest})`);
    expect(result.stderr).toContain('(cause REWIND_E_ARTIFACT_NOT_FOUND)');
    expect(await sandbox.served()).toEqual({ status: 200, version: '3.0.0' });
  });
});

describe('a copy into the store that fails leaves no entry and registers nothing', () => {
  let root: Sandbox;
  let mount: string;
  let config: string;
  let mountRefused: string | false = false;

  beforeAll(async () => {
    root = await createSandbox({ runtimeYaml: () => `        type: command\n        start: ["true"]\n        reload: ["true"]\n        stop: ["true"]\n        status: ["true"]` });
    mount = join(root.root, 'small-store');
    await mkdir(mount);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'rewind-store-tmpfs', mount], { stdio: 'pipe' });
    } catch (error) {
      // Only a privileged user may mount; without a small file system there is no full disk to copy onto.
      mountRefused = `mount -t tmpfs was refused (needs root or CAP_SYS_ADMIN): ${(error as Error).message.split('\n')[0]}`;
    }
    config = join(root.root, 'small-store.yaml');
    await writeFile(config, `artifacts:\n  store: ${join(mount, 'store')}\n${await readFile(root.configPath, 'utf8')}`);
  });
  afterAll(async () => {
    if (!mountRefused) execFileSync('umount', [mount]);
    await root?.close();
  });

  it('a full disk mid-copy: REWIND_E_ARTIFACT_STORE naming ENOSPC and the file, no entry, no leftover, no release', async (context) => {
    if (mountRefused) return context.skip(mountRefused);
    const big = join(root.root, 'big-build');
    await mkdir(big);
    await writeFile(join(big, 'a-small.js'), 'console.log("fits");\n');
    // Incompressible, and more than the 1 MB the store's file system has.
    await writeFile(join(big, 'b-payload.bin'), randomBytes(3 * 1024 * 1024));
    const result = await runCli(['release', 'register', ENV, '5.0.0', '--artifact', big, '--config', config]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`error REWIND_E_ARTIFACT_STORE: cannot store artifact ${big} in ${join(mount, 'store')}: ENOSPC`);
    expect(result.stderr).toContain('b-payload.bin');
    // Nothing in the store: not the entry, not the partial copy under its .tmp- name.
    expect(readdirSync(join(mount, 'store', 'sha256'))).toEqual([]);
    expect(await root.ledger.getRelease(ENV, '5.0.0')).toBeUndefined();

    // The store works again once the artifact fits.
    await rm(join(big, 'b-payload.bin'));
    const fits = await runCli(['release', 'register', ENV, '5.0.0', '--artifact', big, '--config', config]);
    expect(fits.code, fits.stderr).toBe(0);
    expect(readdirSync(join(mount, 'store', 'sha256'))).toEqual([hex((await root.ledger.getRelease(ENV, '5.0.0'))!.digest)]);
  });

  const hex = (digest: string) => digest.replace('sha256:', '');
});

describe('a ledger written by the rewind before the store', () => {
  it('is migrated when opened: its releases are found by digest', async () => {
    const dir = join(process.env.TMPDIR ?? '/tmp', `rewind-old-ledger-${randomBytes(4).toString('hex')}`);
    const file = join(dir, 'rewind.db');
    try {
      const ledger = await openLedger(file);
      await ledger.ensureEnvironment('production', 1);
      await ledger.registerRelease({ env: 'production', version: '1.0.0', artifact: '/builds/1.0.0', digest: 'sha256:aa', commit: null, ci: 'passed' }, 1);
      await ledger.close();
      // Back to the schema before migration 0006 (and the ones after it).
      const raw = new Database(file);
      raw.exec(`DROP INDEX releases_digest; DROP INDEX operations_env_version; DROP INDEX releases_env_version_times; DROP INDEX steps_operation_kind; DROP TABLE drills; ALTER TABLE releases DROP COLUMN drill; ALTER TABLE releases DROP COLUMN committed_at; ALTER TABLE backups DROP COLUMN test_restore; DROP TABLE notify_outbox; DROP TABLE checklist_ticks; DROP TABLE incident_operations; DROP TABLE incidents; DELETE FROM rewind_migration WHERE name >= '0006'`);
      raw.close();

      const reopened = await openLedger(file);
      expect((await reopened.findReleasesByDigest('sha256:aa')).map((r) => r.version)).toEqual(['1.0.0']);
      await reopened.close();
      const check = new Database(file, { readonly: true });
      expect(check.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'releases_digest'`).all()).toHaveLength(1);
      check.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
