import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { FileFlagProvider } from '../../src/adapters/flags/file/file-flag-provider.js';
import { flagProviderContract, type FlagProviderHarness } from '../contracts/flag-provider-contract.js';

// The flag file adapter on real files, JSON and YAML, through the FlagProvider contract.

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function harness(name: string, yaml: boolean): Promise<FlagProviderHarness> {
  const root = await mkdtemp(join(tmpdir(), 'rewind-flags-'));
  roots.push(root);
  const path = join(root, name);
  const read = async () => {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return null;
    }
  };
  return {
    provider: new FileFlagProvider(path),
    async flags() {
      const text = await read();
      return text === null ? null : ((yaml ? parseYaml(text) : JSON.parse(text)) as Record<string, unknown>);
    },
    async seed(flags) {
      await writeFile(path, yaml ? stringifyYaml(flags) : JSON.stringify(flags));
    },
    async corrupt() {
      await writeFile(path, yaml ? '- a\n- b\n' : '[1, 2');
    },
    async fingerprint() {
      return createHash('sha256').update((await read()) ?? '<absent>').digest('hex');
    },
    async cleanup() {
      // Every write went through a temp file and a rename: none is left beside the flag file.
      expect(await readdir(root)).toEqual([name]);
    },
  };
}

flagProviderContract({ name: 'file, JSON', provider: 'flag-file', create: () => harness('flags.json', false) });
flagProviderContract({ name: 'file, YAML', provider: 'flag-file', create: () => harness('flags.yaml', true) });

it('a missing flag file is REWIND_E_FLAGS_SOURCE and is not created', async () => {
  const root = await mkdtemp(join(tmpdir(), 'rewind-flags-'));
  roots.push(root);
  const provider = new FileFlagProvider(join(root, 'flags.json'));
  await expect(provider.set({ x: false })).rejects.toMatchObject({ code: 'REWIND_E_FLAGS_SOURCE' });
  expect(await readdir(root)).toEqual([]);
});
