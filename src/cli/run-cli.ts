import { main } from './rewind-cli.js';
import { watchSignals } from './signal-interruption.js';

/**
 * The `rewind` process: runs the command its arguments name, then exits with its code. The bin
 * (main.ts) calls this from the compiled bundle; nothing else should (it exits the process).
 */
export async function runCli(): Promise<never> {
  // A reader that stops early (`rewind lint --json | head`) closes the pipe: the rest of the output has
  // nowhere to go, which is the reader's choice, not a failure to report with a stack trace. Later
  // writes are dropped and the command still ends with its own exit code; any other write error
  // still stops the process as before.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });

  // Ctrl-C and SIGTERM stop an operation at its next safe point instead of killing it mid-step
  // (outside an operation they end rewind at once, as any program).
  const interruption = watchSignals(process.stderr);
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, interruption });
  process.exitCode = code;
  // Everything rewind started has finished by now (operations, notifications, ledger writes); what
  // can still hold the event loop is a client library's idle socket or timer (PM2's bus takes ~50 ms to
  // wind down). Exit once stdout and stderr are flushed instead of waiting for those.
  const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
