import { createServer } from 'node:net';

/**
 * Ports below the kernel's ephemeral range (32768–60999 on Linux, 49152–65535 on most others) and
 * above the usual services. A port from `listen(0)` comes from the ephemeral range, which every
 * outgoing connection also draws its local port from: between choosing such a port and binding it
 * (a container started seconds later, a server spawned by a test), a client connection to a
 * database or an HTTP server on this machine can take it, and the bind then fails. Ports here are
 * never handed to outgoing connections.
 */
const LOW = 20_000;
const HIGH = 32_767;

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback TCP port nothing listens on at this moment, outside the ephemeral range (see above). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (await listenable(port)) return port;
  }
  // Every try was taken (a crowded machine): let the kernel choose.
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
