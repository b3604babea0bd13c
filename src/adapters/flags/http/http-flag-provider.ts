import { RewindError } from '../../../errors/rewind-error.js';
import type { FlagProvider } from '../../../ports/flag-provider.js';
import { redactor } from '../../../util/redact.js';
import type { HttpFlagsConfig } from './http-flags-config.js';

/** What a flag's state is, as rewind sees the service: a boolean, absent (null), or something else (refused). */
type Read = { present: false } | { present: true; value: unknown };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Flags in a flag service's admin API, one resource per flag:
 *
 *   GET    <url>/flags/<key>   200 {"key": "<key>", "enabled": true|false}; 404: no such flag
 *   PUT    <url>/flags/<key>   body {"enabled": true|false}: creates or replaces; 200, 201 or 204
 *   DELETE <url>/flags/<key>   removes it; 200, 204, or 404 (already gone)
 *
 * with `Authorization: Bearer <token>` from the environment variable `tokenEnv`. Every request is
 * idempotent, so a network error, a timeout, 429 or 5xx is retried (bounded by `attempts`). Every
 * named flag is read before anything is written, so a source that answers garbage or a non-boolean
 * is refused with nothing written; writes are skipped for flags already as asked. Each flag changes
 * atomically at the service; several flags change one after another, and a write that fails part-way
 * puts the flags already changed back before it reports. The token is registered with the redactor
 * and never appears in a message.
 */
export class HttpFlagProvider implements FlagProvider {
  private readonly base: string;
  private readonly token: string | undefined;

  constructor(
    private readonly config: HttpFlagsConfig,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.base = config.url.replace(/\/+$/, '');
    this.token = config.tokenEnv ? env[config.tokenEnv] : undefined;
    redactor.add(this.token);
  }

  describe(): string {
    return `flag service ${this.where()}`;
  }

  async get(names: readonly string[]): Promise<Record<string, boolean>> {
    const read = await this.readAll(names);
    return Object.fromEntries(names.filter((n) => read[n]!.present).map((n) => [n, (read[n] as { value: boolean }).value]));
  }

  async set(values: Record<string, boolean>): Promise<Record<string, boolean | null>> {
    const names = Object.keys(values);
    const read = await this.readAll(names);
    const previous = Object.fromEntries(names.map((n) => [n, read[n]!.present ? (read[n] as { value: boolean }).value : null]));
    await this.apply(
      names.filter((n) => previous[n] !== values[n]),
      values,
      previous,
    );
    return previous;
  }

  async restore(previous: Record<string, boolean | null>): Promise<void> {
    const names = Object.keys(previous);
    const read = await this.readAll(names);
    const now = Object.fromEntries(names.map((n) => [n, read[n]!.present ? (read[n] as { value: boolean }).value : null]));
    await this.apply(
      names.filter((n) => now[n] !== previous[n]),
      previous,
      now,
    );
  }

  /** Writes `wanted` for `names`; when one write fails, the ones done are put back to `before`. */
  private async apply(names: string[], wanted: Record<string, boolean | null>, before: Record<string, boolean | null>): Promise<void> {
    const done: string[] = [];
    for (const name of names) {
      try {
        await this.write(name, wanted[name]!);
        done.push(name);
      } catch (error) {
        const undone = await Promise.all(done.map((n) => this.write(n, before[n]!).then(() => true, () => false)));
        const left = done.filter((_, i) => !undone[i]);
        const tail = done.length === 0 ? 'nothing was written' : left.length === 0 ? `put back as they were: ${done.join(', ')}` : `could not be put back: ${left.join(', ')}`;
        const why = (error as Error).message.replace(`the flag service ${this.where()} `, '').replace(/; nothing was written$/, '');
        throw this.invalid(`${why}; ${tail}`);
      }
    }
  }

  private async readAll(names: readonly string[]): Promise<Record<string, Read>> {
    const read: Record<string, Read> = {};
    for (const name of names) read[name] = await this.read(name);
    const bad = names.filter((n) => read[n]!.present && typeof (read[n] as { value: unknown }).value !== 'boolean');
    if (bad.length) throw this.invalid(`has non-boolean values for ${bad.join(', ')}; nothing was written`);
    return read;
  }

  private async read(name: string): Promise<Read> {
    const response = await this.request('GET', name);
    if (response.status === 404) return { present: false };
    if (response.status !== 200) throw this.invalid(`answered GET ${name} with HTTP ${response.status}; nothing was written`);
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      throw this.invalid(`answered GET ${name} with something that is not JSON; nothing was written`);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body) || !Object.hasOwn(body, 'enabled')) {
      throw this.invalid(`answered GET ${name} without {"enabled": …}: not a flag; nothing was written`);
    }
    return { present: true, value: (body as { enabled: unknown }).enabled };
  }

  private async write(name: string, value: boolean | null): Promise<void> {
    const response = value === null ? await this.request('DELETE', name) : await this.request('PUT', name, JSON.stringify({ enabled: value }));
    const ok = response.status >= 200 && response.status < 300;
    if (!ok && !(value === null && response.status === 404)) throw new Error(`${value === null ? 'DELETE' : 'PUT'} ${name} answered HTTP ${response.status}`);
  }

  /** One request with bounded retries: a network error, a timeout, 429 and 5xx are retried; any other answer is final. */
  private async request(method: string, name: string, body?: string): Promise<{ status: number; body: string }> {
    const url = `${this.base}/flags/${encodeURIComponent(name)}`;
    const headers: Record<string, string> = { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
    let why = '';
    for (let attempt = 1; attempt <= this.config.attempts; attempt++) {
      if (attempt > 1) await sleep(200 * 2 ** (attempt - 2));
      try {
        const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.config.timeoutMs), redirect: 'error' });
        const text = await response.text();
        if (response.status === 401 || response.status === 403) {
          throw this.invalid(`refused the token (HTTP ${response.status}${this.config.tokenEnv ? `; check ${this.config.tokenEnv}` : '; no tokenEnv is configured'}); nothing was written`);
        }
        if (response.status !== 429 && response.status < 500) return { status: response.status, body: text };
        why = `HTTP ${response.status}`;
      } catch (error) {
        if (error instanceof RewindError) throw error;
        why = (error as Error).name === 'TimeoutError' ? `no answer within ${this.config.timeoutMs} ms` : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
      }
    }
    throw this.invalid(`did not answer ${method} ${name} after ${this.config.attempts} attempt${this.config.attempts === 1 ? '' : 's'} (${redactor.redact(why)})`);
  }

  /** The service without user info, path or query: enough to find it, nothing that could be a secret. */
  private where(): string {
    try {
      return new URL(this.base).origin;
    } catch {
      return 'at the configured url';
    }
  }

  private invalid(why: string): RewindError {
    return new RewindError('REWIND_E_FLAGS_SOURCE', redactor.redact(`the flag service ${this.where()} ${why}`), { url: this.where() });
  }
}
