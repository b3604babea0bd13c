import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandSandbox, ENV, ReleaseHealthServer, type CommandSandbox } from './support/command-sandbox.js';

// `status` right after a rollback: the current release is good, and the last known good release
// (by definition one *other* than the current) is often none. It says why, relative to the current
// release, and names a release that reached good before but was judged since, with the command that
// still returns to it — and that command works.

let health: ReleaseHealthServer;
let sb: CommandSandbox;

beforeAll(async () => {
  health = await ReleaseHealthServer.start();
  sb = await createCommandSandbox(health);
});
afterAll(async () => {
  await sb?.close();
  await health?.close();
});

const status = async () => {
  const human = await sb.cli(['status', ENV]);
  expect(human.code, human.stderr).toBe(0);
  const json = await sb.cli(['status', ENV, '--json']);
  expect(json.code, json.stderr).toBe(0);
  return { lines: human.stdout.split('\n'), json: JSON.parse(json.stdout) as { current: { version: string; state: string } | null; lastKnownGood: { version: string } | null; lastKnownGoodNote: string | null } };
};

describe('status explains the last known good release relative to the current one', () => {
  it('nothing deployed: says so', async () => {
    const { lines, json } = await status();
    expect(lines).toContain('last known good none — nothing is deployed yet');
    expect(json).toMatchObject({ current: null, lastKnownGood: null, lastKnownGoodNote: 'nothing is deployed yet' });
  });

  it('after an automatic rollback: the current release is the newest good one, so a rollback needs an older one', async () => {
    await sb.release('1.0.0');
    await sb.release('1.1.0', { bad: true });
    expect((await sb.cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
    const failed = await sb.cli(['deploy', ENV, '1.1.0']);
    expect(failed.code).toBe(7);
    const { lines, json } = await status();
    expect(lines.find((l) => l.startsWith('current'))).toMatch(/^current +1\.0\.0 \(good,/);
    expect(lines).toContain('last known good none — 1.0.0, the current release, is the newest good release: a rollback needs an older one');
    expect(json).toMatchObject({ current: { version: '1.0.0', state: 'good' }, lastKnownGood: null, lastKnownGoodNote: '1.0.0, the current release, is the newest good release: a rollback needs an older one' });
    // And indeed: a plain rollback has nowhere to go.
    const refused = await sb.cli(['rollback', ENV, '--yes']);
    expect(refused.stderr).toContain('REWIND_E_NO_LKG');
  });

  it('with an older good release it is the LKG, and the note is gone', async () => {
    await sb.release('1.2.0');
    expect((await sb.cli(['deploy', ENV, '1.2.0'])).code).toBe(0);
    const { lines, json } = await status();
    expect(lines).toContain(`last known good 1.0.0 — \`rewind rollback ${ENV}\` returns here`);
    expect(json).toMatchObject({ lastKnownGood: { version: '1.0.0' }, lastKnownGoodNote: null });
  });

  it('after a manual rollback: names the release rolled back from, with the command that returns to it, which works', async () => {
    expect((await sb.cli(['rollback', ENV, '--yes'])).code).toBe(0);
    const { lines, json } = await status();
    const note = `1.0.0, the current release, is the newest good release: a rollback needs an older one; 1.2.0 reached good but was rolled back from since (\`rewind rollback ${ENV} --to 1.2.0\` returns to it)`;
    expect(lines).toContain(`last known good none — ${note}`);
    expect(json).toMatchObject({ current: { version: '1.0.0' }, lastKnownGood: null, lastKnownGoodNote: note });
    const back = await sb.cli(['rollback', ENV, '--to', '1.2.0', '--yes']);
    expect(back.code, back.stderr).toBe(0);
    expect(sb.served()).toEqual({ status: 200, version: '1.2.0' });
    // `rollback --to` a newer release leaves the older one rolled back from too (docs/architecture.md): the note says so.
    expect((await status()).json).toMatchObject({
      current: { version: '1.2.0', state: 'good' },
      lastKnownGood: null,
      lastKnownGoodNote: `1.2.0, the current release, is the newest good release: a rollback needs an older one; 1.0.0 reached good but was rolled back from since (\`rewind rollback ${ENV} --to 1.0.0\` returns to it)`,
    });
  });
});
