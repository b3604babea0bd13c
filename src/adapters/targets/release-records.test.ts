import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReleaseRecords, writeManifestDir } from './release-records.js';

interface Record {
  version: string;
  digest: string;
}

describe('ReleaseRecords', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-records-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes, reads, lists sorted and removes records', async () => {
    const records = new ReleaseRecords<Record>(dir);
    expect(await records.versions()).toEqual([]);
    await records.writeRecord({ version: '1.10.0', digest: 'b' });
    await records.writeRecord({ version: '1.2.0', digest: 'a' });
    await records.writeRecord({ version: '1.2.0', digest: 'c' });
    expect(await records.versions()).toEqual(['1.10.0', '1.2.0']);
    expect(records.recordSync('1.2.0')).toEqual({ version: '1.2.0', digest: 'c' });
    expect((await records.records()).map((r) => r.digest)).toEqual(['b', 'c']);
    await records.removeRecord('1.10.0');
    await records.removeRecord('9.9.9');
    expect(await records.versions()).toEqual(['1.2.0']);
    expect(await records.record('1.10.0')).toBeNull();
    // Nothing left behind but the one record.
    expect(await readdir(records.releasesDir)).toEqual(['1.2.0']);
  });

  it('never lists what a crash left half written or half removed', async () => {
    const records = new ReleaseRecords<Record>(dir);
    await records.writeRecord({ version: '1.0.0', digest: 'a' });
    // A crash inside writeRecord leaves a staging directory; inside removeRecord, a renamed one;
    // a directory without release.json is not a record either.
    await mkdir(join(records.releasesDir, '.tmp-2.0.0-abcd'), { recursive: true });
    await writeFile(join(records.releasesDir, '.tmp-2.0.0-abcd', 'release.json'), '{"version":"2.0.0"}');
    await mkdir(join(records.releasesDir, '.del-3.0.0-abcd'), { recursive: true });
    await writeFile(join(records.releasesDir, '.del-3.0.0-abcd', 'release.json'), '{"version":"3.0.0"}');
    await mkdir(join(records.releasesDir, '4.0.0'), { recursive: true });
    expect(await records.versions()).toEqual(['1.0.0']);
    expect(await records.record('4.0.0')).toBeNull();
  });
});

describe('writeManifestDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-manifest-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('names the directory by content: the same manifest, the same directory; another, another', async () => {
    const first = await writeManifestDir(dir, 'images.json', '{"images":{"web":"a@sha256:1"}}\n');
    const again = await writeManifestDir(dir, 'images.json', '{"images":{"web":"a@sha256:1"}}\n');
    const other = await writeManifestDir(dir, 'images.json', '{"images":{"web":"a@sha256:2"}}\n');
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(first.startsWith(join(dir, 'manifests'))).toBe(true);
    expect(await readFile(join(first, 'images.json'), 'utf8')).toBe('{"images":{"web":"a@sha256:1"}}\n');
    expect(await readdir(join(dir, 'manifests'))).toHaveLength(2);
    expect(existsSync(`${first}.tmp-${process.pid}`)).toBe(false);
  });
});
