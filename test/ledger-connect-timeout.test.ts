import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/sandbox.js';

/** A PostgreSQL ledger whose server accepts the connection and never answers: a command ends with REWIND_E_LEDGER instead of hanging. */
describe('a PostgreSQL ledger that never answers (real TCP)', () => {
  let root: string;
  let server: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-ledger-timeout-'));
    server = createServer((socket) => void sockets.push(socket)); // accepts, reads nothing, answers nothing
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await writeFile(
      join(root, 'rewind.yaml'),
      `ledger: postgres://rewind:hung-ledger-pw@127.0.0.1:${port}/rewind\nenvironments:\n  staging:\n    target: { type: releases, path: ${join(root, 'srv')}, runtime: { type: command, start: [/bin/true], reload: [/bin/true] } }\n`,
    );
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  it('status gives up on connecting and says so, naming the ledger without its password', async () => {
    const result = await runCli(['status', 'staging', '--config', join(root, 'rewind.yaml')], 30_000, { REWIND_LEDGER_CONNECT_TIMEOUT_MS: '1500', REWIND_CONFIG_CACHE: 'off' });
    // Without a connect timeout it hangs until the test's own kill (signal SIGKILL).
    expect(result.signal).toBeNull();
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('error REWIND_E_LEDGER');
    expect(result.stderr).not.toContain('hung-ledger-pw');
  });
});
