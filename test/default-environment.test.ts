import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandSandbox, ENV, ReleaseHealthServer, type CommandSandbox } from './support/command-sandbox.js';
import { runCli } from './support/sandbox.js';

// Commands that take <env> use the only environment rewind.yaml defines when it is left out, and say
// which (on stderr: stdout stays the command's, --json included). With several environments,
// leaving it out is REWIND_E_USAGE naming them, and nothing runs. deploy and release register read
// one argument as the environment when rewind.yaml has one of that name, else as the version.

let health: ReleaseHealthServer;
let sb: CommandSandbox;
const NOTE = `note: environment ${ENV} (the only one in rewind.yaml)\n`;

beforeAll(async () => {
  health = await ReleaseHealthServer.start();
  sb = await createCommandSandbox(health);
  await sb.release('1.0.0');
});
afterAll(async () => {
  await sb?.close();
  await health?.close();
});

describe('one environment: <env> may be left out', () => {
  it('deploy <version>, release register <version>, release list, status, history, rollback, unlock, repair use it and say so', async () => {
    const deployed = await sb.cli(['deploy', '1.0.0']);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).toBe(NOTE);
    expect(deployed.stdout).toContain(`deploy ${ENV}: none → 1.0.0`);
    expect(sb.served()).toEqual({ status: 200, version: '1.0.0' });
    expect((await sb.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.0.0');

    const artifact = (await sb.ledger.getRelease(ENV, '1.0.0'))!.artifact;
    const registered = await sb.cli(['release', 'register', '1.0.0', '--artifact', artifact, '--json']);
    expect(registered.code, registered.stderr).toBe(0);
    expect(JSON.parse(registered.stdout)).toMatchObject({ created: false, release: { env: ENV, version: '1.0.0' } });

    const listed = await sb.cli(['release', 'list', '--json']);
    expect(listed.stderr).toBe(NOTE);
    expect((JSON.parse(listed.stdout) as { version: string }[]).map((r) => r.version)).toEqual(['1.0.0']);

    const status = await sb.cli(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^environment +${ENV}\\n`));
    expect(status.stderr).toBe(NOTE);
    // --json stays one clean document on stdout.
    expect(JSON.parse((await sb.cli(['status', '--json'])).stdout)).toMatchObject({ env: ENV, current: { version: '1.0.0' } });
    expect((JSON.parse((await sb.cli(['history', '--json'])).stdout) as unknown[]).length).toBe(1);

    await sb.release('1.1.0');
    expect((await sb.cli(['deploy', '1.1.0'])).code).toBe(0);
    const rolledBack = await sb.cli(['rollback', '--yes']);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(sb.served()).toEqual({ status: 200, version: '1.0.0' });
    expect((await sb.cli(['unlock', '--force', '--reason', 'test'])).stdout).toContain('was not locked');
    const repaired = await sb.cli(['repair']);
    expect(repaired.code).toBe(4);
    expect(repaired.stderr.startsWith(`${NOTE}error REWIND_E_NOTHING_TO_DO`)).toBe(true);
    expect((await sb.cli(['db', 'list'])).stderr).toContain(`environment "${ENV}" has no database configured`);
  });

  it('deploy <env> alone is a missing version: REWIND_E_USAGE, and nothing changes', async () => {
    const before = await sb.ledger.listOperations(ENV, { limit: 100 });
    const result = await sb.cli(['deploy', ENV]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error REWIND_E_USAGE: which version? "${ENV}" is an environment in rewind.yaml; the version goes after it — usage: rewind deploy [<env>] <version>`);
    expect(await sb.ledger.listOperations(ENV, { limit: 100 })).toEqual(before);
  });
});

describe('several environments: <env> must be named', () => {
  it('leaving it out is REWIND_E_USAGE naming them, and nothing runs', async () => {
    const text = await readFile(sb.configPath, 'utf8');
    const two = `${text.replace('environments:\n', 'environments:\n  production:\n    target: { type: releases, path: /nonexistent/rewind-prod, runtime: { type: command, start: ["true"], reload: ["true"] } }\n')}`;
    const config = `${sb.configPath}.two.yaml`;
    await writeFile(config, two);
    const before = await sb.ledger.listOperations(ENV, { limit: 100 });
    for (const argv of [['status'], ['deploy', '1.1.0'], ['rollback', '--yes'], ['history'], ['release', 'list'], ['db', 'backup']]) {
      const result = await runCli([...argv, '--config', config]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toContain('error REWIND_E_USAGE: which environment? rewind.yaml defines production, staging: name one');
    }
    expect(await sb.ledger.listOperations(ENV, { limit: 100 })).toEqual(before);
    expect(sb.served()).toEqual({ status: 200, version: '1.0.0' });
    // Named, it works as ever.
    const named = await runCli(['status', ENV, '--config', config]);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stderr).toBe('');
  });
});
