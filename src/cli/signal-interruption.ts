import type { InterruptibleOperation, Interruption } from '../core/services.js';

/**
 * Ctrl-C and SIGTERM during an operation. The first asks the operation to stop at its next safe
 * point: the step in flight finishes (a reload completes on every process, so never two versions
 * serve where the plan did not say canary), the journal keeps the operation resumable, and the
 * command reports exactly what serves and what to run. The second exits at once (exit 130); the
 * journal still says which step was in flight, and `rewind resume` continues from there.
 *
 * Outside a plan's steps (reading config, listing, linting) there is nothing to finish first, and
 * rewind does not listen at all: the signal's default action ends the process at once, even in the
 * middle of synchronous work (a listener would run only once the event loop is free again, which a
 * lint of a large tree is not until it has printed its report).
 */
export function watchSignals(stderr: NodeJS.WritableStream, exit: (code: number) => void = (code) => process.exit(code)): Interruption {
  let signal: NodeJS.Signals | null = null;
  let armed = 0;
  let listening = false;
  // The operation whose steps run (or last ran), and its step journaled as running, for the second signal's message.
  let operation: InterruptibleOperation | null = null;
  let step: string | null = null;
  const onSignal = (received: NodeJS.Signals) => {
    if (signal) {
      stderr.write(`\n${received} again: exiting now. ${leftBehind(operation, step)}\n`);
      exit(130);
      return;
    }
    signal = received;
    const again = `${received === 'SIGINT' ? 'Ctrl-C' : received} again exits at once`;
    const running = operation ? ` of ${operation.kind} ${operation.from ?? 'none'} → ${operation.to} on ${operation.env}` : '';
    stderr.write(
      step
        ? `\n${received}: stopping after the step in flight (${step}${running}), which is left to finish so nothing is half-done; ${again}.\n`
        : `\n${received}: stopping before the next step${running}; ${again}.\n`,
    );
  };
  // Listen while steps run, and from a first signal on (the second must print what it leaves behind).
  const listen = () => {
    const wanted = armed > 0 || signal !== null;
    if (wanted === listening) return;
    for (const name of ['SIGINT', 'SIGTERM'] as const) {
      if (wanted) process.on(name, onSignal);
      else process.off(name, onSignal);
    }
    listening = wanted;
  };
  return {
    requested: () => signal !== null,
    arm: (running) => {
      operation = running;
      step = null;
      armed++;
      listen();
    },
    inFlight: (stepId) => {
      step = stepId;
    },
    disarm: () => {
      armed--;
      listen();
    },
    get signal() {
      return signal;
    },
  };
}

/** What exiting now leaves: the step cut short (the journal says it runs), and the command that continues. */
function leftBehind(operation: InterruptibleOperation | null, step: string | null): string {
  if (!operation) return 'The operation stays unfinished in the journal: run `rewind resume` to continue it.';
  const { env, kind, from, to, operationId } = operation;
  const what = `${kind} ${from ?? 'none'} → ${to} on ${env} (${operationId})`;
  const resume = `\`rewind resume ${env}\``;
  if (!step) return `${what} stays unfinished in the journal, between two steps: run ${resume} to continue it.`;
  return `Step ${step} of ${what} is cut short and may be half-done; the journal records it as running. \`rewind status ${env}\` shows what serves now; ${resume} runs ${step} again and continues.`;
}
