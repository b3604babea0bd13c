import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** A local webhook endpoint: every POSTed JSON body lands in `received`, answered 204. */
export interface WebhookReceiver<T> {
  port: number;
  received: T[];
  /** The request line and headers of every POST, in arrival order (what a real webhook host sees). */
  requests: { url: string; headers: IncomingHttpHeaders }[];
  server: Server;
  close(): Promise<void>;
}

/** `silent`: read each request and never answer it (a hung webhook host); close() drops those connections. */
export async function startWebhookReceiver<T = { text: string; event: Record<string, unknown> }>(options: { silent?: boolean } = {}): Promise<WebhookReceiver<T>> {
  const received: T[] = [];
  const requests: WebhookReceiver<T>['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as T);
      if (!options.silent) res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    received,
    requests,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
