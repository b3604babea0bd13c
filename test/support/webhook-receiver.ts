import { createServer, type Server } from 'node:http';

/** A local webhook endpoint: every POSTed JSON body lands in `received`, answered 204. */
export interface WebhookReceiver<T> {
  port: number;
  received: T[];
  server: Server;
  close(): Promise<void>;
}

export async function startWebhookReceiver<T = { text: string; event: Record<string, unknown> }>(): Promise<WebhookReceiver<T>> {
  const received: T[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as T);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, received, server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
