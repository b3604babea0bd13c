import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGithub } from '../../../../test/support/fake-github.js';
import { RewindError } from '../../../errors/rewind-error.js';
import { githubCiSchema } from './github-ci-config.js';
import { GithubChecks, nextLink } from './github-checks.js';

// The GitHub adapter against the fake (test/support/fake-github.ts): every page, every coded error,
// bounded retries, and the token in no message.

const REPO = 'acme/shop';
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const TOKEN = 'github_pat_11FAKEFAKEFAKE_secretvalue';
const env = { GH_TOKEN: TOKEN };

describe('GithubChecks against a fake GitHub REST API', () => {
  let github: FakeGithub;
  const checks = (overrides: Record<string, unknown> = {}, environment: NodeJS.ProcessEnv = env) =>
    new GithubChecks(githubCiSchema.parse({ type: 'github', repository: REPO, tokenEnv: 'GH_TOKEN', apiUrl: github.url, timeoutMs: 2000, ...overrides }), environment);
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(RewindError);
    const e = error as RewindError;
    expect(e.message).not.toContain(TOKEN);
    expect(JSON.stringify(e.details)).not.toContain(TOKEN);
    return e;
  };

  beforeAll(async () => {
    github = await FakeGithub.start();
    github.addToken(TOKEN, { repos: [REPO, 'acme/other'], checks: true, statuses: true });
    github.addToken('no-checks-permission', { repos: [REPO], checks: false, statuses: true });
    github.setCommit('acme/other', SHA);
  });
  afterAll(async () => github?.close());

  it('reads every page of check runs (Link rel="next") and the statuses, with the token as a Bearer header', async () => {
    const runs = Array.from({ length: 205 }, (_, i) => ({ name: `job-${String(i).padStart(3, '0')}`, status: 'completed' as const, conclusion: 'success' as const }));
    github.setCommit(REPO, SHA, { runs, statuses: [{ context: 'ci/jenkins', state: 'pending' }] });
    const before = github.requests.length;
    const read = await checks().read(SHA);
    expect(read.filter((c) => c.kind === 'check-run')).toHaveLength(205);
    expect(new Set(read.map((c) => c.id)).size).toBe(206);
    expect(read.find((c) => c.name === 'job-204')).toMatchObject({ status: 'completed', conclusion: 'success', url: expect.stringMatching(/^https:\/\/github.com\/acme\/shop\/runs\/\d+$/) });
    expect(read.find((c) => c.kind === 'status')).toMatchObject({ name: 'ci/jenkins', status: 'pending', conclusion: null });
    const made = github.requests.slice(before);
    expect(made.map((r) => r.path)).toEqual([
      `/repos/${REPO}/commits/${SHA}/check-runs?per_page=100`,
      `/repos/${REPO}/commits/${SHA}/check-runs?per_page=100&page=2`,
      `/repos/${REPO}/commits/${SHA}/check-runs?per_page=100&page=3`,
      `/repos/${REPO}/commits/${SHA}/status?per_page=100`,
    ]);
    expect(made.every((r) => r.auth === 'bearer' && r.status === 200)).toBe(true);
  });

  it('leaves the statuses out when statuses: false', async () => {
    github.setCommit(REPO, SHA, { runs: [{ name: 'test', status: 'completed', conclusion: 'success' }], statuses: [{ context: 'ci/x', state: 'failure' }] });
    expect((await checks({ statuses: false }).read(SHA)).map((c) => c.name)).toEqual(['test']);
  });

  it('REWIND_E_CI_AUTH when the token variable is not set: no request is made', async () => {
    const before = github.requests.length;
    const e = await failure(checks({}, {}).read(SHA));
    expect(e.code).toBe('REWIND_E_CI_AUTH');
    expect(e.message).toContain('$GH_TOKEN');
    expect(github.requests.length).toBe(before);
  });

  it('REWIND_E_CI_AUTH without sending or quoting a token that holds a newline (as a pasted secret may)', async () => {
    const before = github.requests.length;
    const e = await failure(checks({}, { GH_TOKEN: `${TOKEN}\n` }).read(SHA));
    expect(e.code).toBe('REWIND_E_CI_AUTH');
    expect(e.message).toContain('whitespace or control characters');
    expect(github.requests.length).toBe(before);
  });

  it('REWIND_E_CI_AUTH for a token GitHub does not know (401) and one without Checks: read (403), naming the repository and commit', async () => {
    const bad = await failure(checks({}, { GH_TOKEN: 'not-a-token' }).read(SHA));
    expect(bad.code).toBe('REWIND_E_CI_AUTH');
    expect(bad.message).toContain('HTTP 401 (Bad credentials)');
    const forbidden = await failure(checks({}, { GH_TOKEN: 'no-checks-permission' }).read(SHA));
    expect(forbidden.code).toBe('REWIND_E_CI_AUTH');
    expect(forbidden.message).toContain(`${REPO}@${SHA}`);
    expect(forbidden.message).toContain('HTTP 403 (Resource not accessible by personal access token)');
  });

  it('REWIND_E_CI_NOT_FOUND for an unknown repository (404) and an unknown commit (422)', async () => {
    const repo = await failure(checks({ repository: 'acme/nope' }).read(SHA));
    expect(repo).toMatchObject({ code: 'REWIND_E_CI_NOT_FOUND', details: { repository: 'acme/nope', commit: SHA, status: 404 } });
    const commit = await failure(checks().read('ffffffffffffffffffffffffffffffffffffffff'));
    expect(commit).toMatchObject({ code: 'REWIND_E_CI_NOT_FOUND', details: { status: 422 } });
    expect(commit.message).toContain('No commit found for SHA: ffffffffffffffffffffffffffffffffffffffff');
  });

  it('retries a 5xx a bounded number of times: a blip is absorbed, an outage is REWIND_E_CI_UNAVAILABLE after retries + 1 attempts', async () => {
    github.setCommit(REPO, SHA, { runs: [{ name: 'test', status: 'completed', conclusion: 'success' }] });
    github.failNext(2, 502);
    expect(await checks({ retries: 2, statuses: false }).read(SHA)).toHaveLength(1);
    const before = github.requests.length;
    github.failNext(10, 503);
    const e = await failure(checks({ retries: 1, statuses: false }).read(SHA));
    expect(e.code).toBe('REWIND_E_CI_UNAVAILABLE');
    expect(e.message).toContain('HTTP 503 (Server Error) after 2 attempts');
    expect(github.requests.length - before).toBe(2);
    github.failNext(0);
  });

  it('REWIND_E_CI_UNAVAILABLE when nothing answers (connection refused), after its retries', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const e = await failure(checks({ apiUrl: `http://127.0.0.1:${port}`, retries: 1 }).read(SHA));
    expect(e.code).toBe('REWIND_E_CI_UNAVAILABLE');
    expect(e.message).toContain('after 2 attempts');
  });

  it('does not follow a next page to another origin with the token', async () => {
    let hits = 0;
    const evil = createServer((request, response) => {
      hits++;
      response.writeHead(200, { 'content-type': 'application/json', link: '<http://198.51.100.7/steal?page=2>; rel="next"' });
      response.end(JSON.stringify({ total_count: 0, check_runs: [] }));
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const e = await failure(checks({ apiUrl: `http://127.0.0.1:${(evil.address() as AddressInfo).port}`, retries: 0 }).read(SHA));
      expect(e.code).toBe('REWIND_E_CI_UNAVAILABLE');
      expect(e.message).toContain('not followed with the token');
      expect(hits).toBe(1);
    } finally {
      await new Promise<void>((resolve) => evil.close(() => resolve()));
    }
  });

  it('parses rel="next" out of Link headers as GitHub writes them', () => {
    expect(nextLink('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"')).toBe('https://api.github.com/x?page=2');
    expect(nextLink('<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});
