import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerSocketPath } from './engine-socket.js';

// Which socket the Engine API reads use: only one the docker CLI itself would talk to.

describe('dockerSocketPath', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'esp-'));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it('the target\'s dockerHost wins over DOCKER_HOST; only unix:// is a socket', () => {
    expect(dockerSocketPath('unix:///tmp/d.sock', { DOCKER_HOST: 'unix:///other.sock' })).toBe('/tmp/d.sock');
    expect(dockerSocketPath(undefined, { DOCKER_HOST: 'unix:///other.sock' })).toBe('/other.sock');
    expect(dockerSocketPath('tcp://127.0.0.1:2375', {})).toBeNull();
    expect(dockerSocketPath(undefined, { DOCKER_HOST: 'ssh://deploy@host' })).toBeNull();
    expect(dockerSocketPath('unix://', {})).toBeNull();
  });

  it('a docker context other than the default (variable or config file) is left to the CLI', async () => {
    expect(dockerSocketPath(undefined, { DOCKER_CONTEXT: 'remote', HOME: home })).toBeNull();
    const config = join(home, 'cfg');
    await writeFile(join(home, 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    expect(dockerSocketPath(undefined, { DOCKER_CONFIG: home })).toBeNull();
    await writeFile(join(home, 'config.json'), JSON.stringify({ currentContext: 'default' }));
    // The default context: Docker's own socket, when this machine has one.
    const local = existsSync('/var/run/docker.sock') ? '/var/run/docker.sock' : null;
    expect(dockerSocketPath(undefined, { DOCKER_CONFIG: home })).toBe(local);
    expect(dockerSocketPath(undefined, { DOCKER_CONFIG: config })).toBe(local); // no config file at all
  });
});
