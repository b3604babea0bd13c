import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/config-schema.js';
import { STARTER_CONFIG } from '../src/config/starter-config.js';
import { ERROR_REGISTRY } from '../src/errors/error-registry.js';

// The playbooks rewind was built from ("seed 000", "seed 004 matrix", "preflight 3") are internal:
// users never saw them. What people read — every command's --help, the config's JSON Schema
// descriptions, error hints, the starter config and the docs — states the rule itself instead.
// (Code comments may still cite them, for developers.)
const INTERNAL = /\bseeds?\b(?! ?\d{4})|\bpreflight \d\b|\bplaybook \d/i;

const ROOT = join(import.meta.dirname, '..');
const COMMANDS = join(ROOT, 'src', 'cli', 'commands');

describe('user-visible text names no internal playbook', () => {
  it.each(readdirSync(COMMANDS).filter((f) => f.endsWith('-command.ts')))('%s --help', async (file) => {
    const { help } = (await import(join(COMMANDS, file))) as { help: string };
    expect(help).not.toMatch(INTERNAL);
  });

  it('the command list, the JSON Schema of rewind.yaml, error hints and the starter config', () => {
    expect(readFileSync(join(ROOT, 'src', 'cli', 'rewind-cli.ts'), 'utf8')).not.toMatch(INTERNAL);
    expect(JSON.stringify(z.toJSONSchema(configSchema, { io: 'input' }))).not.toMatch(INTERNAL);
    for (const [code, entry] of Object.entries(ERROR_REGISTRY)) expect(entry.hint, code).not.toMatch(INTERNAL);
    expect(STARTER_CONFIG).not.toMatch(INTERNAL);
  });

  // docs/ and its folders (docs/targets/: one page per platform).
  const docs = (readdirSync(join(ROOT, 'docs'), { recursive: true }) as string[]).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  it.each(['README.md', ...docs, 'examples/smoke/minimal.yaml'])('%s', (file) => {
    // "seeded" random runs (a random generator's seed) are not a playbook.
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/\bseeded\b|\bseeds \d{4}/gi, '');
    expect(text).not.toMatch(INTERNAL);
  });
});
