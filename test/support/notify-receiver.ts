import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with (null: never answered). */
  status: number | null;
}

/**
 * A local HTTP receiver for notifier tests whose behaviour the test sets per request: `answer`
 * returns a status (or 'hang': read the request and never answer). close() drops hung connections.
 */
export interface NotifyReceiver {
  port: number;
  url: string;
  requests: ReceivedRequest[];
  answer: (request: ReceivedRequest) => number | 'hang' | { status: number; headers: Record<string, string> };
  server: Server;
  close(): Promise<void>;
}

export async function startNotifyReceiver(answer: NotifyReceiver['answer'] = () => 200): Promise<NotifyReceiver> {
  const receiver = { requests: [] as ReceivedRequest[], answer } as NotifyReceiver;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: ReceivedRequest = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: null };
      receiver.requests.push(request);
      const answer = receiver.answer(request);
      if (answer === 'hang') return;
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      request.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(status < 300 ? '{"status":"success"}' : '{"status":"error"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.server = server;
  receiver.port = (server.address() as { port: number }).port;
  receiver.url = `http://127.0.0.1:${receiver.port}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}
