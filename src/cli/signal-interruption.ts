import type { Interruption } from '../core/services.js';

/**
 * Ctrl-C and SIGTERM during an operation. The first asks the operation to stop at its next safe
 * point: the step in flight finishes (a reload completes on every process, so never two versions
 * serve where the plan did not say canary), the journal keeps the operation resumable, and the
 * command reports exactly what serves and what to run. The second exits at once (exit 130); the
 * journal still says which step was in flight, and `rewind resume` continues from there.
 */
export function watchSignals(stderr: NodeJS.WritableStream, exit: (code: number) => void = (code) => process.exit(code)): Interruption {
  let signal: NodeJS.Signals | null = null;
  let armed = 0;
  const onSignal = (received: NodeJS.Signals) => {
    // Outside a plan's steps (reading config, listing, linting) there is nothing to finish first.
    if (armed === 0) {
      exit(130);
      return;
    }
    if (signal) {
      stderr.write(`\n${received} again: exiting now. The operation stays unfinished in the journal: run \`rewind resume\` to continue it.\n`);
      exit(130);
      return;
    }
    signal = received;
    stderr.write(`\n${received}: stopping after the step in flight (it is left to finish so nothing is half-done); ${received === 'SIGINT' ? 'Ctrl-C' : received} again exits at once.\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    requested: () => signal !== null,
    arm: () => void armed++,
    disarm: () => void armed--,
    get signal() {
      return signal;
    },
  };
}
