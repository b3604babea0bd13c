import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';

/**
 * The hosts in rollout order, cut into batches: `batch` hosts at a time (a count), or that share
 * of the hosts rounded up ("25%" of 5 hosts is 2), never fewer than one.
 */
export function rolloutBatches<T>(hosts: readonly T[], batch: number | string): T[][] {
  const size = typeof batch === 'number' ? batch : Math.ceil((hosts.length * Number(batch.slice(0, -1))) / 100);
  const step = Math.max(1, Math.min(size, hosts.length));
  const out: T[][] = [];
  for (let i = 0; i < hosts.length; i += step) out.push(hosts.slice(i, i + step));
  return out;
}

/** A host's health URL: its own, else the template with {host} and {name} filled in. */
export function healthUrlOf(host: { address: string; name: string; healthUrl?: string }, template: string | undefined): string | undefined {
  return host.healthUrl ?? template?.replaceAll('{host}', host.address).replaceAll('{name}', host.name);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `url` answers 2xx, for up to `timeoutMs`: the null on success, else what it last saw.
 * A connection of its own per probe (no keep-alive pool holding the app's graceful close).
 */
export async function waitHealthy(url: string, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    last = await probe(url, Math.max(100, Math.min(2000, deadline - Date.now())));
    if (last === 'ok') return null;
    if (Date.now() + wait >= deadline) return `${url}: ${last} (waited ${timeoutMs} ms)`;
    await sleep(wait);
  }
}

function probe(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const request = get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? 'ok' : `HTTP ${status}`);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => resolve(error.message));
  });
}
