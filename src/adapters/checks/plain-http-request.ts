import type { IncomingMessage, RequestOptions } from 'node:http';

export interface PlainResponse {
  status: number;
  text: string;
}

/** A health body is small; anything larger is cut here rather than buffered without bound. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One request over node:http / node:https on a fresh connection, no redirects followed. The health
 * check uses it instead of `fetch` because a CLI process pays ~33 ms compiling undici on its first
 * `fetch` — right inside a rollback, between activation and the first probe — where node:http costs
 * ~3 ms. Rejects with the socket's error (its `code`, e.g. ECONNREFUSED) or a `TimeoutError`.
 */
export async function plainHttpRequest(url: string, options: { method: string; headers: Record<string, string>; timeoutMs: number }): Promise<PlainResponse> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const request: RequestOptions = { method: options.method, headers: options.headers, agent: false };
    const req = client.request(target, request, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (error) => {
        clearTimeout(deadline);
        reject(error);
      });
    });
    // The whole exchange is bounded (connect, headers, body), not only idle time on the socket.
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error(`timed out after ${options.timeoutMs} ms`), { name: 'TimeoutError' })), options.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    req.end();
  });
}
