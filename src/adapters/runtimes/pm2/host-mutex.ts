import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';

/**
 * A mutex between processes on one host, for a resource several rewind processes share (one PM2
 * daemon serves every environment that uses its PM2_HOME, whichever rewind.yaml and ledger they
 * come from). On Linux it is a listening socket in the abstract namespace: binding the name is
 * atomic, and the kernel frees it the moment the holder dies, SIGKILL included, so a dead holder
 * can never wedge it and there is no file to clean up. Elsewhere a socket file in `fallbackDir`
 * stands in (a holder that died leaves the file; connecting to it is refused, and it is replaced).
 */
export class HostMutex {
  private server: Server | undefined;

  constructor(
    /** What the mutex guards, e.g. the PM2_HOME path; hashed into the socket name. */
    private readonly resource: string,
    private readonly fallbackDir: string,
  ) {}

  private get address(): string {
    const digest = createHash('sha256').update(this.resource).digest('hex').slice(0, 24);
    return process.platform === 'linux' ? `\0rewind-mutex-${digest}` : join(this.fallbackDir, `.rewind-mutex-${digest}.sock`);
  }

  /** Takes the mutex if it is free; false when another live process holds it. */
  async tryAcquire(): Promise<boolean> {
    if (this.server) return true;
    const server = createServer();
    const bound = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
      server.listen(this.address, () => resolve(true));
    });
    if (bound) {
      // Held for the life of an operation step only; it must not keep the process alive on its own.
      server.unref();
      this.server = server;
      return true;
    }
    if (process.platform !== 'linux' && !(await this.answers())) {
      rmSync(this.address, { force: true });
      return this.tryAcquire();
    }
    return false;
  }

  /**
   * Waits for the mutex with bounded backoff; `onWait` is told once, when it first has to wait.
   * Returns how long it waited (0 when the first try took it: that try's own few milliseconds are
   * not a wait, and reported as one they read "waited 0.0 s"), or throws after `timeoutMs`.
   */
  async acquire(options: { timeoutMs: number; onWait?: () => void }): Promise<number> {
    const started = Date.now();
    let delay = 25;
    let told = false;
    while (!(await this.tryAcquire())) {
      if (!told) options.onWait?.();
      told = true;
      if (Date.now() - started > options.timeoutMs) throw new Error(`another process held it for more than ${options.timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 500);
    }
    return told ? Date.now() - started : 0;
  }

  async release(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Whether a live process listens on the fallback socket file. */
  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection(this.address);
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  }
}
