import { connect, type Socket } from 'node:net';

/**
 * The slice of the Redis protocol (RESP2) rewind needs, over node:net: commands as arrays of bulk
 * strings (never a shell string, never an inline command), replies parsed as they arrive. One
 * connection, replies matched to commands in order, so several commands may be in flight
 * (pipelining: a SCAN batch's TTL checks go out together). No dependency, no pool, no reconnect:
 * an operation opens one and closes it.
 */

export type RespValue = string | number | null | RespValue[];

/** An error reply (`-ERR unknown command`, `-MISCONF ...`): the server answered, and refused. */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
  /** The first word of the reply: ERR, MISCONF, NOAUTH, WRONGPASS, LOADING... */
  get prefix(): string {
    return this.message.split(' ')[0] ?? '';
  }
}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

const encode = (args: readonly (string | number)[]): Buffer => {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const value = Buffer.from(String(arg));
    parts.push(Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
};

/** Parses one reply at `offset`; null when the buffer does not hold all of it yet. */
function parse(buffer: Buffer, offset: number): { value: RespValue | RespError; next: number } | null {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buffer.length < after + length + 2) return null;
      if (buffer[after + length] !== 13 || buffer[after + length + 1] !== 10) throw new Error(`a bulk reply from the Redis server is not ${length} bytes long`);
      return { value: buffer.toString('utf8', after, after + length), next: after + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let at = after;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, at);
        if (!item) return null;
        // An error inside an array (EXEC) is kept as its message; rewind sends no MULTI.
        items.push(item.value instanceof RespError ? item.value.message : item.value);
        at = item.next;
      }
      return { value: items, next: at };
    }
    default:
      throw new Error(`unexpected reply type ${JSON.stringify(type)} from the Redis server`);
  }
}

export class RespClient {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private closedWith: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the Redis server closed the connection')));
  }

  /** Connects within `timeoutMs`; rejects with the socket's error (ECONNREFUSED...) otherwise. */
  static open(host: string, port: number, timeoutMs: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new RespClient(socket));
      });
    });
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      let reply: ReturnType<typeof parse>;
      try {
        reply = offset < this.buffer.length ? parse(this.buffer, offset) : null;
      } catch (error) {
        // Not RESP (a proxy, another protocol on the port): nothing after this can be trusted.
        this.fail(error as Error);
        this.socket.destroy();
        return;
      }
      if (!reply) break;
      offset = reply.next;
      const waiting = this.pending.shift();
      if (!waiting) continue;
      if (reply.value instanceof RespError) waiting.reject(reply.value);
      else waiting.resolve(reply.value);
    }
    if (offset) this.buffer = Buffer.from(this.buffer.subarray(offset));
  }

  private fail(error: Error): void {
    if (!this.closedWith) this.closedWith = error;
    for (const waiting of this.pending.splice(0)) waiting.reject(error);
  }

  /** Sends one command; resolves with its reply, rejects with a RespError for an error reply. */
  command(...args: (string | number)[]): Promise<RespValue> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encode(args));
    });
  }

  /**
   * Sends all the commands in one write before reading any reply (one round trip, one packet burst:
   * a write per command costs a syscall and, with Nagle off, a packet each); replies in order.
   */
  pipeline(commands: readonly (string | number)[][]): Promise<RespValue[]> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const replies = commands.map(() => new Promise<RespValue>((resolve, reject) => this.pending.push({ resolve, reject })));
    this.socket.write(Buffer.concat(commands.map(encode)));
    return Promise.all(replies);
  }

  /** Resolves when the server has closed the connection (after SHUTDOWN). */
  closed(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }
}
