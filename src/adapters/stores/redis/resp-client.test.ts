import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RespClient, RespError } from './resp-client.js';

// The protocol edges a real Redis only shows under load: replies split anywhere across TCP reads,
// several replies in one read, nested arrays, nulls, and error replies that reject one command only.
// A local server answers with exactly the bytes each case gives, cut into the chunks it gives.

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that answers the n-th command it receives with replies[n], written in the given chunks. */
async function answering(replies: string[][]): Promise<{ port: number; received: string[] }> {
  const received: string[] = [];
  server = createServer((socket: Socket) => {
    let index = 0;
    socket.on('data', async (data) => {
      received.push(data.toString());
      // One reply per command: count the commands in this read by their `*<n>\r\n$` headers.
      const commands = data.toString().split(/\*\d+\r\n\$/).length - 1;
      for (let i = 0; i < commands; i++) {
        for (const chunk of replies[index++] ?? []) {
          socket.write(chunk);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server!.address() as { port: number }).port, received };
}

describe('RespClient', () => {
  it('sends commands as arrays of bulk strings, byte-exact for multi-byte text', async () => {
    const { port, received } = await answering([['+OK\r\n']]);
    const client = await RespClient.open('127.0.0.1', port, 2000);
    expect(await client.command('SET', 'k', 'é v')).toBe('OK');
    expect(received.join('')).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\né v\r\n');
    client.close();
  });

  it('reassembles replies split across reads, and nested arrays with nulls', async () => {
    const { port } = await answering([
      ['*2\r\n$1', '\r\n0\r\n*3\r\n$6\r\nsess:', '1\r\n$-1\r\n:42\r', '\n'],
      ['$11\r\nhello', ' world\r\n'],
    ]);
    const client = await RespClient.open('127.0.0.1', port, 2000);
    expect(await client.command('SCAN', '0')).toEqual(['0', ['sess:1', null, 42]]);
    expect(await client.command('GET', 'x')).toBe('hello world');
    client.close();
  });

  it('matches replies to their commands in order; an error reply rejects only its own command', async () => {
    const { port } = await answering([[':1\r\n'], ["-ERR unknown command 'BGSAVE'\r\n"], [':-2\r\n'], [':5\r\n:-1\r\n']]);
    const client = await RespClient.open('127.0.0.1', port, 2000);
    const settled = await Promise.allSettled([client.command('PTTL', 'a'), client.command('BGSAVE'), client.command('PTTL', 'b')]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(settled[1].status).toBe('rejected');
    const refusal = (settled[1] as PromiseRejectedResult).reason as RespError;
    expect(refusal).toBeInstanceOf(RespError);
    expect([refusal.prefix, refusal.message]).toEqual(['ERR', "ERR unknown command 'BGSAVE'"]);
    expect(settled[2]).toEqual({ status: 'fulfilled', value: -2 });
    client.close();
  });

  it('rejects what is in flight, and fails the connection, on bytes that are not RESP', async () => {
    const { port } = await answering([['HTTP/1.1 400 Bad Request\r\n']]);
    const client = await RespClient.open('127.0.0.1', port, 2000);
    await expect(client.command('PING')).rejects.toThrow(/unexpected reply type "H"/);
    await expect(client.command('PING')).rejects.toThrow(/unexpected reply type/);
  });

  it('refuses a bulk reply whose length does not match its bytes', async () => {
    const { port } = await answering([['$5\r\nsess:1\r\n']]);
    const client = await RespClient.open('127.0.0.1', port, 2000);
    await expect(client.command('GET', 'k')).rejects.toThrow(/not 5 bytes long/);
  });

  it('rejects what is in flight when the server closes the connection', async () => {
    server = createServer((socket) => socket.on('data', () => socket.destroy()));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const client = await RespClient.open('127.0.0.1', (server.address() as { port: number }).port, 2000);
    await expect(client.command('SHUTDOWN', 'NOSAVE')).rejects.toThrow(/closed the connection/);
    await client.closed();
    await expect(client.command('PING')).rejects.toThrow(/closed the connection/);
  });

  it('names the address it could not reach', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await expect(RespClient.open('127.0.0.1', port, 2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
