/** Where a command writes; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** The real process's Ctrl-C / SIGTERM watch (main.ts); absent when a test drives the CLI in-process. */
  interruption?: import('../core/services.js').Interruption;
}

export const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

export const writeLine = (stream: NodeJS.WritableStream, line = ''): void => {
  stream.write(`${line}\n`);
};
