import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from './support/docker-engine.js';
import { runCli } from './support/sandbox.js';

// `rewind demo --target compose`: without an engine it says how to start one and changes nothing;
// with one (a dockerd of this file's own), the story runs and removes everything it made.
describe('rewind demo --target compose', () => {
  let engine: DockerEngine;
  beforeAll(async () => {
    engine = await DockerEngine.start();
  }, 120_000);
  afterAll(async () => engine?.stop(), 120_000);

  it('without a Docker engine: REWIND_E_DOCKER_UNAVAILABLE, saying how to start one', async () => {
    const host = `unix://${join(engine.root, 'none.sock')}`;
    const result = await runCli(['demo', '--target', 'compose'], 60_000, { DOCKER_HOST: host, PATH: `/usr/bin:${process.env.PATH}` });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^error REWIND_E_DOCKER_UNAVAILABLE: no Docker engine answers at ${host.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(.*\\): start one — \`sudo systemctl start docker\``, 'm'));
  });

  it('with an engine: 1.1.0 fails its container healthcheck, rewind rolls back to 1.0.0 by itself; nothing is left behind', async () => {
    const result = await runCli(['demo', '--target', 'compose'], 300_000, { ...engine.env, PATH: `/usr/bin:${process.env.PATH}` });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain("verified: 1.0.0's container serves again (GET /version → 1.0.0)");
    expect(result.stdout).toMatch(/✓ demo passed in \d+ ms; containers, images and the registry removed/);
    expect(engine.docker(['ps', '-aq']).stdout.trim()).toBe('');
    expect(engine.docker(['image', 'ls', '-q']).stdout.trim()).toBe('');
  }, 300_000);
});
