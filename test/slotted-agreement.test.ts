import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from './support/sandbox.js';
import { createSlottedSandbox, shortCanaryYaml, type SlottedSandbox } from './support/slotted-sandbox.js';


interface StatusJson {
  agreement: { agree: boolean; problems: string[]; fix: string | null };
  slots: { name: string; version: string | null; trafficPercent: number | null }[];
  target: { link: string | null; served: { version: string | null }[] | null };
}

/**
 * Behind a router, what serves is the split the router applies. A canary abandoned half-way used to
 * leave 50 % of requests on the abandoned release while `status` said everything agreed and
 * `repair` said there was nothing to do. Now the split is a disagreement and repair ends it.
 */
describe('ledger, link and the router split agree (real PM2 slots, real haproxy)', () => {
  let box: SlottedSandbox;
  const status = async () => JSON.parse((await box.cli(['status', ENV, '--json'])).stdout) as StatusJson;

  beforeAll(async () => {
    box = await createSlottedSandbox({ router: 'haproxy', strategy: 'canary', extraYaml: shortCanaryYaml });
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) await box.release(version);
    for (const version of ['1.0.0', '1.1.0']) expect((await box.cli(['deploy', ENV, version])).code).toBe(0);
  }, 120_000);
  afterAll(async () => box?.close());

  it('an abandoned canary\'s split is shown as a disagreement, and repair sends all traffic back to the linked release', async () => {
    const killed = await box.cli(['deploy', ENV, '1.2.0'], { env: { REWIND_FAILPOINTS: 'deploy:canary-50:begin' } });
    expect(killed.signal).toBe('SIGKILL');
    const abandoned = await box.cli(['resume', ENV, '--abandon']);
    expect(abandoned.code, abandoned.stderr).toBe(0);
    expect(abandoned.stdout).toMatch(/still inconsistent: traffic is split: .* — run `rewind repair staging`/);

    const split = await status();
    expect(split.agreement.agree).toBe(false);
    expect(split.agreement.problems).toHaveLength(1);
    expect(split.agreement.problems[0]).toMatch(/^traffic is split: .* and .*, while the link points at 1\.1\.0$/);
    for (const part of [/1\.1\.0 on slot \w+ \(50 % of traffic\)/, /1\.2\.0 on slot \w+ \(50 % of traffic\)/]) expect(split.agreement.problems[0]).toMatch(part);
    expect(split.agreement.fix).toBe(`rewind repair ${ENV}`);
    expect((await box.cli(['status', ENV])).stdout).toContain('DISAGREEMENT    traffic is split');
    // A deploy refuses to plan from a split it did not make.
    const refused = await box.cli(['deploy', ENV, '1.2.0']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('rewind repair staging');

    const repaired = await box.cli(['repair', ENV, '--json']);
    expect(repaired.code, repaired.stderr).toBe(0);
    const after = await status();
    expect(after.agreement).toMatchObject({ agree: true, problems: [] });
    expect(after.slots.find((s) => s.version === '1.1.0')?.trafficPercent).toBe(100);
    expect(after.slots.find((s) => s.version === '1.2.0')?.trafficPercent).toBe(0);
    for (let i = 0; i < 10; i++) expect(await box.served()).toEqual({ status: 200, version: '1.1.0' });
  });
});
