import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** A local webhook endpoint: every POSTed JSON body lands in `received`, answered 204 (401 when `verify` refuses it). */
export interface WebhookReceiver<T> {
  port: number;
  received: T[];
  /** The request line, headers and raw body of every POST, in arrival order (what a real webhook host sees). */
  requests: { url: string; headers: IncomingHttpHeaders; raw: Buffer; verified?: boolean }[];
  server: Server;
  close(): Promise<void>;
}

/**
 * `silent`: read each request and never answer it (a hung webhook host); close() drops those connections.
 * `verify`: a signature check on the headers and raw body, as a real receiver runs it; a request it
 * refuses is answered 401 and not added to `received`.
 */
export async function startWebhookReceiver<T = { text: string; event: Record<string, unknown> }>(
  options: { silent?: boolean; verify?: (headers: IncomingHttpHeaders, raw: Buffer) => boolean } = {},
): Promise<WebhookReceiver<T>> {
  const received: T[] = [];
  const requests: WebhookReceiver<T>['requests'] = [];
  const server = createServer((req, res) => {
    const request: WebhookReceiver<T>['requests'][number] = { url: req.url ?? '', headers: req.headers, raw: Buffer.alloc(0) };
    requests.push(request);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      request.raw = Buffer.concat(chunks);
      if (options.verify) request.verified = options.verify(req.headers, request.raw);
      if (request.verified === false) {
        if (!options.silent) res.writeHead(401).end();
        return;
      }
      received.push(JSON.parse(request.raw.toString('utf8')) as T);
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
