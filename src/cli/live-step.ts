import type { ProgressReporter } from '../ports/step-progress.js';
import { styleOf, type CliIo } from './cli-io.js';
import { HumanRenderer } from './human-renderer.js';

/**
 * Runs one long piece of work outside an operation (`rewind db backup`, `rewind smoke`) under the
 * same live line as an operation's step: elapsed time and progress while it runs (on a TTY; a pipe
 * gets an occasional "still running" line), erased when it ends, since the command then prints its
 * own result. `--json` callers do not use it: their stdout is one JSON document.
 */
export async function liveStep<T>(io: CliIo, title: string, work: (progress: ProgressReporter) => Promise<T>): Promise<T> {
  const view = new HumanRenderer(io.stdout, { style: styleOf(io) });
  // No operation, so no events: the view is told directly what a step_start and step_progress would show.
  view.showStep(title);
  try {
    return await work(async (update) => view.showProgress(update.message));
  } finally {
    view.dismiss();
  }
}
