import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpFlagProvider } from '../../src/adapters/flags/http/http-flag-provider.js';
import { httpFlagsSchema } from '../../src/adapters/flags/http/http-flags-config.js';
import { redactor } from '../../src/util/redact.js';
import { flagProviderContract, type FlagProviderHarness } from '../contracts/flag-provider-contract.js';
import { startFlagService, type FlagService } from '../support/flag-service.js';

// The HTTP flag adapter against a real local flag service (test/support/flag-service.ts: in-memory
// flags, bearer-token auth), through the FlagProvider contract, then what only HTTP has: auth,
// bounded retries, timeouts, a write that fails part-way.

const TOKEN_ENV = 'REWIND_TEST_FLAG_TOKEN';
const services: FlagService[] = [];
afterAll(async () => {
  for (const service of services) await service.close();
});

async function serve(): Promise<FlagService> {
  const service = await startFlagService();
  services.push(service);
  return service;
}

const providerFor = (service: FlagService, overrides: Record<string, unknown> = {}, token: string = service.token) =>
  new HttpFlagProvider(httpFlagsSchema.parse({ url: `${service.url}/`, tokenEnv: TOKEN_ENV, timeoutMs: 500, ...overrides }), { [TOKEN_ENV]: token });

async function harness(): Promise<FlagProviderHarness> {
  const service = await serve();
  return {
    provider: providerFor(service),
    async flags() {
      return Object.fromEntries(service.flags);
    },
    async seed(flags) {
      service.corrupt = false;
      service.flags = new Map(Object.entries(flags));
      service.revision++;
    },
    async corrupt() {
      service.corrupt = true;
    },
    async fingerprint() {
      return `${service.revision}:${JSON.stringify([...service.flags])}`;
    },
    async cleanup() {
      // Every request carried the token.
      expect(service.requests.every((r) => r.authorized)).toBe(true);
    },
  };
}

flagProviderContract({ name: 'http admin API', provider: 'flag-http', create: harness });

describe('HTTP flag adapter: what only HTTP has', () => {
  let service: FlagService;
  beforeAll(async () => {
    service = await serve();
  });
  const reset = (flags: Record<string, unknown>) => {
    service.flags = new Map(Object.entries(flags));
    service.requests = [];
    service.failNext = 0;
    service.hangNext = 0;
    const before = service.revision;
    return () => service.revision - before;
  };

  it('a wrong token is REWIND_E_FLAGS_SOURCE naming the variable, not the token, and writes nothing', async () => {
    const writes = reset({ 'new-checkout': true });
    const wrong = 'wrong-token-value-987654321';
    const error = await providerFor(service, {}, wrong)
      .set({ 'new-checkout': false })
      .catch((e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: 'REWIND_E_FLAGS_SOURCE' });
    expect(error.message).toContain(`HTTP 401; check ${TOKEN_ENV}`);
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(service.token);
    expect(JSON.stringify(error)).not.toContain(wrong);
    // The token is known to the redactor, so nothing rewind prints or stores can carry it.
    expect(redactor.redact(`Bearer ${wrong}`)).toBe('Bearer ***');
    expect(service.requests.map((r) => r.authorization)).toEqual([`Bearer ${wrong}`]);
    expect(writes()).toBe(0);
    expect(service.flags.get('new-checkout')).toBe(true);
  });

  it('retries a 503 and a hung request within its bounds, then succeeds', async () => {
    const writes = reset({ 'new-checkout': true });
    service.failNext = 1;
    service.hangNext = 1;
    expect(await providerFor(service).set({ 'new-checkout': false })).toEqual({ 'new-checkout': true });
    expect(service.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET', 'PUT']);
    expect(writes()).toBe(1);
    expect(service.flags.get('new-checkout')).toBe(false);
  });

  it('gives up after `attempts` with REWIND_E_FLAGS_SOURCE, nothing written', async () => {
    const writes = reset({ 'new-checkout': true });
    service.failNext = 100;
    const started = Date.now();
    await expect(providerFor(service, { attempts: 2 }).set({ 'new-checkout': false })).rejects.toMatchObject({
      code: 'REWIND_E_FLAGS_SOURCE',
      message: expect.stringContaining('did not answer GET new-checkout after 2 attempts (HTTP 503)'),
    });
    expect(service.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(writes()).toBe(0);
  });

  it('a write that fails part-way puts back the flags it already changed', async () => {
    const writes = reset({ a: true, b: true });
    const provider = providerFor(service, { attempts: 1 });
    // Both are read, then `a` is written; the service fails the fourth request (the PUT of b).
    const original = service.requests.push.bind(service.requests);
    service.requests.push = (...items) => {
      const n = original(...items);
      if (n === 4) service.failNext = 1;
      return n;
    };
    const error = await provider.set({ a: false, b: false }).catch((e: unknown) => e as Error & { code: string });
    service.requests.push = original;
    expect(error).toMatchObject({ code: 'REWIND_E_FLAGS_SOURCE' });
    expect(error.message).toContain('did not answer PUT b after 1 attempt (HTTP 503); put back as they were: a');
    expect(Object.fromEntries(service.flags)).toEqual({ a: true, b: true });
    expect(service.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /flags/a', 'GET /flags/b', 'PUT /flags/a', 'PUT /flags/b', 'PUT /flags/a']);
    expect(writes()).toBe(2);
  });
});

describe('flags: in rewind.yaml', () => {
  const yaml = (flags: string) => `environments:\n  production:\n    target: { type: releases, path: /srv/app, runtime: { type: pm2, name: app } }\n    flags: ${flags}\n`;
  it('takes exactly one source; a bad url or variable name is REWIND_E_CONFIG_INVALID', async () => {
    const { parseConfigText } = await import('../../src/config/load-config.js');
    const http = parseConfigText(yaml('{ http: { url: "https://flags.internal/admin", tokenEnv: FLAG_ADMIN_TOKEN } }'), '/etc/rewind', {});
    expect(http.environments.production!.flags).toEqual({ http: { url: 'https://flags.internal/admin', tokenEnv: 'FLAG_ADMIN_TOKEN', timeoutMs: 3000, attempts: 3 } });
    expect(parseConfigText(yaml('{ file: flags.json }'), '/etc/rewind', {}).environments.production!.flags).toEqual({ file: '/etc/rewind/flags.json' });
    for (const bad of ['{ file: flags.json, http: { url: "https://flags.internal" } }', '{}', '{ http: { url: "ftp://flags" } }', '{ http: { url: "https://flags", tokenEnv: "not a name" } }']) {
      expect(() => parseConfigText(yaml(bad), '/etc/rewind', {}), bad).toThrow(expect.objectContaining({ code: 'REWIND_E_CONFIG_INVALID' }));
    }
  });
});
