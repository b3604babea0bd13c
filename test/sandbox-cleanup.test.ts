import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHaproxy } from './support/proxy-servers.js';
import { createSandbox } from './support/sandbox.js';
import { createSlottedSandbox } from './support/slotted-sandbox.js';
import { postgresUrl } from './support/services.js';

/*
 * A test whose set-up fails gets no sandbox to close, so the support closes what it made itself:
 * on a machine without haproxy every slotted test file used to leave its sandbox in /tmp. Each test
 * file has a TMPDIR of its own (test/support/test-file-tmpdir.ts): what is in it is what this file left.
 */

const PATH = process.env.PATH;
let fakes: string | undefined;
let before: string[] = [];
beforeEach(async () => {
  before = await readdir(tmpdir());
});
afterEach(async () => {
  process.env.PATH = PATH;
  if (fakes) await rm(fakes, { recursive: true, force: true });
  fakes = undefined;
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('test support whose set-up fails leaves nothing behind', () => {
  it('a slotted sandbox whose proxy is not installed', async () => {
    process.env.PATH = '/nonexistent'; // spawn('haproxy') and spawn('nginx') find nothing
    await expect(createSlottedSandbox({ router: 'haproxy', strategy: 'blue-green' })).rejects.toThrow(/haproxy exited/);
    await expect(createSlottedSandbox({ router: 'nginx', strategy: 'blue-green' })).rejects.toThrow(/nginx exited/);
    expect(await readdir(tmpdir())).toEqual(before);
  });

  it('a sandbox whose config does not load', async () => {
    await expect(createSandbox({ databaseYaml: () => '    traffic: 12' })).rejects.toThrow(/traffic/);
    await expect(createSandbox({ ledger: postgresUrl('rewind_no_such_database') })).rejects.toThrow(/rewind_no_such_database/);
    expect(await readdir(tmpdir())).toEqual(before);
  });

  it('a proxy that started but never listened is stopped, not left running', async () => {
    // A stand-in haproxy that runs and never opens its socket: startHaproxy gives up after its bound.
    fakes = await mkdtemp(join(tmpdir(), 'rewind-fake-haproxy-'));
    await writeFile(join(fakes, 'haproxy'), `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(join(fakes, 'pid'))}, String(process.pid));\nsetInterval(() => {}, 1000);\n`);
    await chmod(join(fakes, 'haproxy'), 0o755);
    process.env.PATH = `${fakes}:${PATH}`;
    const root = await mkdtemp(join(fakes, 'proxy-'));
    await expect(startHaproxy(root, [])).rejects.toThrow(/haproxy listening not within/);
    const pid = Number(await readFile(join(fakes, 'pid'), 'utf8'));
    expect(alive(pid)).toBe(false);
  });
});
