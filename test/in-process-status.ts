import { PassThrough } from 'node:stream';
import { main } from '../src/cli/rewind-cli.js';
import { readStatusWith } from './support/crash-matrix.js';
import { ENV } from './support/sandbox.js';

/**
 * Imported by the crash matrices: their convergence checks run `rewind status <env> --json` in the
 * test's own process, through the CLI's entry (main): the very command code, on the sandbox's config
 * and ledger, without a Node start-up and bundle load per check (about a quarter of a second, once
 * per kill point). What is under test there is the killed command and `resume`, which stay real
 * processes; status only reads what they left. Here, not in test/support: support code may not
 * import the CLI (scripts/import-arrows.mjs).
 */
readStatusWith(async (sandbox) => {
  const capture = () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
  };
  const stdout = capture();
  const stderr = capture();
  const code = await main(['status', ENV, '--json', '--config', sandbox.configPath], { stdout, stderr, env: process.env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
});
