import { connect } from 'node:net';
import { RewindError } from '../../../errors/rewind-error.js';

/**
 * The slice of haproxy's runtime API (the stats socket) rewind uses, over `node:net`: no shell, no
 * socat. One connection per request, in the API's non-interactive mode: send one line, read until
 * haproxy closes. Several commands may share the line separated by `;`; each answer ends with an
 * empty line, and a command that succeeds silently (`set weight`) answers only that empty line.
 */
export class HaproxyRuntimeClient {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 5000,
  ) {}

  /** Sends `commands` on one line and returns haproxy's raw answer. Rejects with `REWIND_E_ROUTER_FAILED`. */
  send(commands: readonly string[]): Promise<string> {
    const line = commands.join('; ');
    // A newline would end the request early and run the rest as another one: refuse it outright.
    if (/[\r\n]/.test(line)) return Promise.reject(new RewindError('REWIND_E_INTERNAL', 'haproxy runtime API command holds a newline'));
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (error: Error | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error) {
          reject(new RewindError('REWIND_E_ROUTER_FAILED', `haproxy runtime API at ${this.socketPath}: ${error.message}`, { socket: this.socketPath, command: line }));
        } else resolve(Buffer.concat(chunks).toString('utf8'));
      };
      const timer = setTimeout(() => finish(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      socket.on('connect', () => socket.write(`${line}\n`));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => finish(null));
      socket.on('error', (error) => finish(error));
    });
  }
}
