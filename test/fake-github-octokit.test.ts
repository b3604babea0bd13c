import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGithub } from './support/fake-github.js';

// The fake GitHub (test/support/fake-github.ts) checked with GitHub's own REST client, Octokit: its
// paginate() follows the fake's Link headers, its typed endpoints read the fake's shapes, and its
// RequestError carries the fake's statuses. Octokit is not a dependency of rewind: install it outside
// the project (`npm install --prefix /tmp/lint-tools @octokit/rest`) or point REWIND_OCTOKIT_DIR at
// an install; without one this file is skipped and says so in its title.

const dir = process.env.REWIND_OCTOKIT_DIR ?? '/tmp/lint-tools';
const entry = join(dir, 'node_modules', '@octokit', 'rest', 'dist-src', 'index.js');
const missing = existsSync(entry) ? '' : `no @octokit/rest under ${dir}`;

type OctokitLike = {
  paginate: (route: string, params: Record<string, unknown>, map?: (response: { data: any }) => unknown[]) => Promise<any[]>;
  request: (route: string, params: Record<string, unknown>) => Promise<{ status: number; data: any; headers: Record<string, string> }>;
};

describe.skipIf(missing)(`the fake GitHub, read by the real Octokit client (${missing || '@octokit/rest'})`, () => {
  const REPO = { owner: 'acme', repo: 'shop' };
  const SHA = '0123456789abcdef0123456789abcdef01234567';
  let github: FakeGithub;
  let octokit: (auth?: string) => OctokitLike;

  beforeAll(async () => {
    const { Octokit } = (await import(pathToFileURL(entry).href)) as { Octokit: new (options: Record<string, unknown>) => OctokitLike };
    github = await FakeGithub.start();
    github.addToken('tok-read', { repos: ['acme/shop'], checks: true, statuses: true });
    github.addToken('tok-nochecks', { repos: ['acme/shop'], checks: false, statuses: true });
    github.setCommit('acme/shop', SHA, {
      runs: Array.from({ length: 75 }, (_, i) => ({ name: `job-${i}`, status: i === 74 ? ('in_progress' as const) : ('completed' as const), conclusion: i === 74 ? null : ('success' as const) })),
      statuses: [{ context: 'ci/a', state: 'success' }, { context: 'ci/b', state: 'pending' }],
    });
    octokit = (auth) => new Octokit({ auth, baseUrl: github.url, request: { retries: 0 }, log: { debug() {}, info() {}, warn() {}, error() {} } });
  });
  afterAll(async () => github?.close());

  it('paginate() follows the Link headers through every page of check runs', async () => {
    const before = github.requests.length;
    const runs = await octokit('tok-read').paginate('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...REPO, ref: SHA, per_page: 30 });
    expect(runs).toHaveLength(75);
    expect(runs.filter((r: { status: string }) => r.status === 'in_progress').map((r: { name: string }) => r.name)).toEqual(['job-74']);
    expect(github.requests.slice(before).map((r) => r.path.replace(/^.*\?/, ''))).toEqual(['per_page=30', 'per_page=30&page=2', 'per_page=30&page=3']);
    expect(github.requests.slice(before).every((r) => r.auth !== 'none')).toBe(true);
  });

  it('reads the combined status as Octokit types it', async () => {
    const { status, data } = await octokit('tok-read').request('GET /repos/{owner}/{repo}/commits/{ref}/status', { ...REPO, ref: SHA });
    expect(status).toBe(200);
    expect(data).toMatchObject({ state: 'pending', sha: SHA, total_count: 2 });
    expect(data.statuses.map((s: { context: string; state: string }) => [s.context, s.state])).toEqual([['ci/a', 'success'], ['ci/b', 'pending']]);
  });

  it("raises Octokit's RequestError with GitHub's statuses: 401, 403, 404, 422", async () => {
    const statusOf = (promise: Promise<unknown>) => promise.then(() => 200, (e: { status?: number; name?: string }) => (expect(e.name).toBe('HttpError'), e.status));
    const route = 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs';
    expect(await statusOf(octokit('wrong').request(route, { ...REPO, ref: SHA }))).toBe(401);
    expect(await statusOf(octokit('tok-nochecks').request(route, { ...REPO, ref: SHA }))).toBe(403);
    expect(await statusOf(octokit('tok-read').request(route, { owner: 'acme', repo: 'nope', ref: SHA }))).toBe(404);
    expect(await statusOf(octokit('tok-read').request(route, { ...REPO, ref: 'f'.repeat(40) }))).toBe(422);
  });
});
