import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { FakeVercel, type FakeVercelDeployment } from './support/fake-vercel.js';
import { runCli, type CliResult } from './support/sandbox.js';

const TEAM = 'team_acme';
const TOKEN = 'vercel-token-SECRET-bad-9d1e22';
const OTHER_TEAM_TOKEN = 'vercel-token-OTHER-bad-4c07';

/**
 * Issue 16, Vercel, bad input through the built CLI (fake Vercel API; real Vercel NOT exercised): an
 * unknown project, a token scoped to another team, a token variable that is not set, a deployment in
 * ERROR, a version no deployment carries, a malformed flag. Each is refused with its code, naming
 * the object (never the token), and nothing changes: no release registered, no promote, production
 * as it was.
 */
describe('Vercel: bad input is refused, coded and named, with nothing changed (fake Vercel API)', () => {
  let fake: FakeVercel;
  let root: string;
  let config: string;
  let ledger: Ledger;
  let good: FakeVercelDeployment;
  const outputs: string[] = [];
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
    const result = await runCli([...args, '--config', config], 60_000, { VERCEL_TOKEN: TOKEN, OTHER_VERCEL_TOKEN: OTHER_TEAM_TOKEN, ...env });
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const world = async () => ({
    promotes: fake.calls.filter((c) => c.includes('/promote/') || c.includes('/pause')).length,
    production: fake.project('shop').productionId,
    releases: Object.fromEntries(await Promise.all(['production', 'nowhere', 'otherteam', 'notoken'].map(async (env) => [env, (await ledger.listReleases(env, { limit: 100 })).map((r) => r.version)]))),
  });

  beforeAll(async () => {
    fake = await FakeVercel.start({ promoteDelayMs: 40 });
    fake.addToken(TOKEN, [TEAM]);
    fake.addToken(OTHER_TEAM_TOKEN, ['team_other']);
    fake.createProject('shop', TEAM);
    fake.setProduction('shop', fake.createDeployment('shop', { version: '0.9.0' }).id);
    good = fake.createDeployment('shop', { version: '1.0.0', commit: 'c'.repeat(40) });
    fake.createDeployment('shop', { version: '2.0.0', meta: { rewindVersion: '2.0.0' }, readyState: 'ERROR' });
    root = await mkdtemp(join(tmpdir(), 'vercel-bad-'));
    config = join(root, 'rewind.yaml');
    const target = (project: string, extra = '') => `    target:\n      type: vercel\n      projectId: ${project}\n      teamId: ${TEAM}\n      apiUrl: ${fake.apiUrl}\n      pollMs: 20\n      attempts: 2\n${extra}`;
    await writeFile(config, `ledger: ./rewind.db\nlog:\n  file: ./events.log\nenvironments:\n  production:\n${target('shop')}  nowhere:\n${target('nope')}  otherteam:\n${target('shop', '      tokenEnv: OTHER_VERCEL_TOKEN\n')}  notoken:\n${target('shop', '      tokenEnv: VERCEL_TOKEN_NOT_SET\n')}`);
    ledger = await openLedger(join(root, 'rewind.db'));
  });
  afterAll(async () => {
    await ledger?.close();
    await fake?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('release register: each bad input is its own code, naming what is wrong', async () => {
    const before = await world();
    const cases: [string[], string, string][] = [
      [['release', 'register', 'production', '2.0.0'], 'REWIND_E_VERCEL_DEPLOYMENT_NOT_READY', 'is ERROR, not READY'],
      [['release', 'register', 'production', '2.1.0'], 'REWIND_E_VERCEL_NOT_FOUND', 'with meta rewindVersion=2.1.0'],
      [['release', 'register', 'production', '2.1.0', '--commit', 'not-a-sha'], 'REWIND_E_USAGE', '--commit'],
      [['release', 'register', 'production', '2.1.0', '--deployment', good.id, '--artifact', root], 'REWIND_E_USAGE', '--deployment'],
      [['release', 'register', 'nowhere', '1.0.0', '--deployment', good.id], 'REWIND_E_VERCEL_NOT_FOUND', 'project nope'],
      [['release', 'register', 'otherteam', '1.0.0', '--deployment', good.id], 'REWIND_E_VERCEL_FORBIDDEN', 'the token in OTHER_VERCEL_TOKEN may not act on this project in team team_acme'],
      [['release', 'register', 'notoken', '1.0.0', '--deployment', good.id], 'REWIND_E_VERCEL_TOKEN_MISSING', 'VERCEL_TOKEN_NOT_SET is not set'],
    ];
    // Each refusal reads and writes nothing, so they run side by side (the machine's CLI start-up dominates).
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    for (const [i, [args, code, names]] of cases.entries()) {
      const result = results[i]!;
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(`error ${code}`);
      expect(result.stderr, args.join(' ')).toContain(names);
    }
    expect(await world()).toEqual(before);
  });

  it('deploy with a token that cannot see the project stops in preflight (exit 6): nothing promoted, production as it was', async () => {
    // Registered while the variable held a token of the team; deployed when it holds one of another team.
    const registered = await cli(['release', 'register', 'otherteam', '1.0.0', '--deployment', good.id, '--ci', 'passed'], { OTHER_VERCEL_TOKEN: TOKEN });
    expect(registered.code, registered.stderr).toBe(0);
    const before = await world();
    const deploy = await cli(['deploy', 'otherteam', '1.0.0']);
    expect(deploy.code, deploy.stderr).toBe(6);
    expect(deploy.stderr).toContain('REWIND_E_PREFLIGHT_FAILED');
    expect(deploy.stderr).toMatch(/HTTP 403 forbidden.*the token in OTHER_VERCEL_TOKEN may not act on this project/);
    expect(await world()).toEqual(before);
    const status = await cli(['status', 'otherteam', '--json']);
    expect(status.stdout + status.stderr).toContain('REWIND_E_VERCEL_FORBIDDEN');
    for (const output of outputs) {
      expect(output).not.toContain(TOKEN);
      expect(output).not.toContain(OTHER_TEAM_TOKEN);
    }
  });
});
