import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A fake of the two GitHub REST reads rewind's CI gate makes, on loopback, in the shapes of GitHub's
 * REST reference (API version 2022-11-28):
 *   GET /repos/{owner}/{repo}/commits/{ref}/check-runs  {total_count, check_runs: [{id, name, head_sha, status, conclusion, html_url, ...}]}
 *   GET /repos/{owner}/{repo}/commits/{ref}/status      {state, sha, total_count, statuses: [{id, context, state, target_url, ...}], repository}
 * Paged as GitHub pages: `per_page` (default 30, at most 100) and `page`, with a Link header naming
 * rel="next", "last", "first" and "prev" as they apply; total_count is the whole count.
 * Auth as GitHub answers it: no or an unknown token 401 "Bad credentials"; a token not granted the
 * repository 404 "Not Found" (GitHub hides private repositories it cannot see); a token granted the
 * repository without the permission for the listing (Checks: read, Commit statuses: read) 403
 * "Resource not accessible by personal access token"; an unknown repository 404; a ref that names
 * no commit 422 "No commit found for SHA: …". Faults: the next N requests answer a given 5xx.
 */

export interface FakeCheckRun {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale' | null;
}
export interface FakeStatus {
  id: number;
  context: string;
  state: 'pending' | 'success' | 'failure' | 'error';
}
export interface FakeToken {
  /** The repositories (owner/name) the token is granted. */
  repos: string[];
  checks: boolean;
  statuses: boolean;
}
export interface FakeRequest {
  method: string;
  path: string;
  /** What the Authorization header was: `Bearer <token>` seen as `bearer` (the value is not kept), or none. */
  auth: 'bearer' | 'token' | 'none';
  status: number;
}

const DOCS = 'https://docs.github.com/rest';

export class FakeGithub {
  readonly requests: FakeRequest[] = [];
  private readonly repos = new Map<string, Map<string, { runs: FakeCheckRun[]; statuses: FakeStatus[] }>>();
  private readonly tokens = new Map<string, FakeToken>();
  private faults: { status: number; left: number } | null = null;
  private nextId = 4_000_000_001;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeGithub> {
    let self: FakeGithub | undefined;
    const server = createServer((request, response) => self!.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new FakeGithub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  addToken(token: string, grant: FakeToken): void {
    this.tokens.set(token, grant);
  }

  /** A commit on a repository (created if new), with its check runs and statuses; ids are given as GitHub would (rising). */
  setCommit(repository: string, sha: string, checks: { runs?: Omit<FakeCheckRun, 'id'>[]; statuses?: Omit<FakeStatus, 'id'>[] } = {}): { runs: FakeCheckRun[]; statuses: FakeStatus[] } {
    if (!this.repos.has(repository)) this.repos.set(repository, new Map());
    const commit = { runs: (checks.runs ?? []).map((r) => ({ ...r, id: this.nextId++ })), statuses: (checks.statuses ?? []).map((s) => ({ ...s, id: this.nextId++ })) };
    this.repos.get(repository)!.set(sha.toLowerCase(), commit);
    return commit;
  }

  /** The next `count` requests answer `status` (502, 503 …) before reaching any handler. */
  failNext(count: number, status = 502): void {
    this.faults = { status, left: count };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    const header = request.headers.authorization ?? '';
    const auth = /^Bearer /.test(header) ? 'bearer' : /^token /.test(header) ? 'token' : 'none';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method: request.method ?? 'GET', path: url.pathname + url.search, auth, status });
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28', ...headers });
      response.end(JSON.stringify(body));
    };
    if (this.faults && this.faults.left > 0) {
      this.faults.left--;
      return send(this.faults.status, { message: 'Server Error' });
    }
    if (request.method !== 'GET') return send(404, { message: 'Not Found', documentation_url: DOCS });
    const match = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/(check-runs|status)$/.exec(url.pathname);
    if (!match) return send(404, { message: 'Not Found', documentation_url: DOCS });
    const [, owner, name, ref, listing] = match as unknown as [string, string, string, string, 'check-runs' | 'status'];
    const repository = `${owner}/${name}`;
    const token = header.replace(/^(Bearer|token) /, '');
    const grant = auth === 'none' ? undefined : this.tokens.get(token);
    if (!grant) return send(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    const commits = this.repos.get(repository);
    if (!commits || !grant.repos.includes(repository)) return send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
    if (!(listing === 'check-runs' ? grant.checks : grant.statuses)) {
      return send(403, { message: 'Resource not accessible by personal access token', documentation_url: DOCS, status: '403' });
    }
    const commit = commits.get(decodeURIComponent(ref).toLowerCase());
    if (!commit) return send(422, { message: `No commit found for SHA: ${decodeURIComponent(ref)}`, documentation_url: DOCS, status: '422' });
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const all = listing === 'check-runs' ? commit.runs : commit.statuses;
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const link = this.link(url, page, Math.max(1, Math.ceil(all.length / perPage)));
    const sha = decodeURIComponent(ref).toLowerCase();
    if (listing === 'check-runs') {
      return send(200, { total_count: all.length, check_runs: slice.map((r) => this.checkRunJson(repository, sha, r as FakeCheckRun)) }, link ? { link } : {});
    }
    const states = commit.statuses.map((s) => s.state);
    const state = states.some((s) => s === 'failure' || s === 'error') ? 'failure' : states.length === 0 || states.includes('pending') ? 'pending' : 'success';
    const statuses = (slice as FakeStatus[]).map((s) => ({
      url: `${this.url}/repos/${repository}/statuses/${sha}`,
      id: s.id,
      node_id: `SC_${s.id}`,
      state: s.state,
      description: null,
      target_url: `https://ci.example/${repository}/${s.id}`,
      context: s.context,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    }));
    return send(200, { state, statuses, sha, total_count: all.length, repository: { full_name: repository }, commit_url: `${this.url}/repos/${repository}/commits/${sha}`, url: `${this.url}/repos/${repository}/commits/${sha}/status` }, link ? { link } : {});
  }

  private checkRunJson(repository: string, sha: string, run: FakeCheckRun) {
    return {
      id: run.id,
      name: run.name,
      node_id: `CR_${run.id}`,
      head_sha: sha,
      external_id: '',
      url: `${this.url}/repos/${repository}/check-runs/${run.id}`,
      html_url: `https://github.com/${repository}/runs/${run.id}`,
      details_url: `https://github.com/${repository}/runs/${run.id}`,
      status: run.status,
      conclusion: run.conclusion,
      started_at: '2026-01-01T00:00:00Z',
      completed_at: run.status === 'completed' ? '2026-01-01T00:05:00Z' : null,
      output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${this.url}/repos/${repository}/check-runs/${run.id}/annotations` },
      check_suite: { id: 1 },
      app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
      pull_requests: [],
    };
  }

  /** GitHub's Link header: first/prev when past page 1, next/last when before the last page; absent for a single page. */
  private link(url: URL, page: number, last: number): string | undefined {
    if (last === 1) return undefined;
    const at = (p: number) => {
      const u = new URL(url.pathname + url.search, this.url);
      u.searchParams.set('page', String(p));
      return `<${u.href}>`;
    };
    const parts: string[] = [];
    if (page > 1) parts.push(`${at(page - 1)}; rel="prev"`);
    if (page < last) parts.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
    if (page > 1) parts.push(`${at(1)}; rel="first"`);
    return parts.join(', ');
  }
}
