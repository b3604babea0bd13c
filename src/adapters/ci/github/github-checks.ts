import { setTimeout as sleep } from 'node:timers/promises';
import { RewindError } from '../../../errors/rewind-error.js';
import type { CiCheck, CiChecks } from '../../../ports/ci-checks.js';
import type { GithubCiConfig } from './github-ci-config.js';

// GitHub's REST API, the two reads the gate needs:
//   GET /repos/{owner}/{repo}/commits/{ref}/check-runs   {total_count, check_runs: [...]}
//   GET /repos/{owner}/{repo}/commits/{ref}/status       {state, statuses: [...], total_count}
// both paged with per_page and a Link header (rel="next"). The token goes only to the configured
// API origin: a Link to any other origin is refused rather than followed with it.

interface CheckRunJson {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  html_url?: string | null;
}
interface StatusJson {
  id: number;
  context: string;
  state: 'pending' | 'success' | 'failure' | 'error';
  target_url?: string | null;
}

const PER_PAGE = 100;
/** More pages than any real commit has: a server that keeps sending rel="next" cannot hold rewind forever. */
const MAX_PAGES = 50;

export class GithubChecks implements CiChecks {
  readonly provider = 'github';
  readonly repository: string;
  private readonly api: URL;

  constructor(
    private readonly config: GithubCiConfig,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.repository = config.repository;
    this.api = new URL(config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/`);
  }

  async read(commit: string): Promise<CiCheck[]> {
    const token = this.env[this.config.tokenEnv];
    if (!token) {
      throw new RewindError('REWIND_E_CI_AUTH', `the CI gate reads ${this.repository}'s checks with a token from $${this.config.tokenEnv}, which is not set`, {
        repository: this.repository,
        commit,
        tokenEnv: this.config.tokenEnv,
      });
    }
    // fetch would refuse such a header with a message that quotes it, token and all: refuse it first, unquoted.
    if (/[\s\x00-\x1f\x7f]/.test(token)) {
      throw new RewindError('REWIND_E_CI_AUTH', `the token in $${this.config.tokenEnv} holds whitespace or control characters (a stray newline?); it is not sent`, {
        repository: this.repository,
        commit,
        tokenEnv: this.config.tokenEnv,
      });
    }
    const base = `repos/${this.repository}/commits/${encodeURIComponent(commit)}`;
    const runs = await this.pages<{ check_runs: CheckRunJson[] }>(token, commit, 'check runs', `${base}/check-runs`);
    const checks: CiCheck[] = runs.flatMap((page) => page.check_runs.map((r) => ({ name: r.name, kind: 'check-run' as const, status: r.status, conclusion: r.conclusion ?? null, id: r.id, url: r.html_url ?? null })));
    if (this.config.statuses) {
      const statuses = await this.pages<{ statuses: StatusJson[] }>(token, commit, 'commit statuses', `${base}/status`);
      for (const s of statuses.flatMap((page) => page.statuses)) {
        checks.push({ name: s.context, kind: 'status', status: s.state === 'pending' ? 'pending' : 'completed', conclusion: s.state === 'pending' ? null : s.state, id: s.id, url: s.target_url ?? null });
      }
    }
    return checks;
  }

  /** Every page of one listing, following rel="next" on the API's own origin. */
  private async pages<T>(token: string, commit: string, what: string, path: string): Promise<T[]> {
    const pages: T[] = [];
    let url: URL | null = new URL(`${path}?per_page=${PER_PAGE}`, this.api);
    while (url) {
      if (pages.length === MAX_PAGES) throw this.unavailable(commit, what, `more than ${MAX_PAGES} pages`);
      const response = await this.request(token, commit, what, url);
      pages.push((await response.json()) as T);
      const next = nextLink(response.headers.get('link'));
      url = next ? new URL(next, this.api) : null;
      if (url && url.origin !== this.api.origin) throw this.unavailable(commit, what, `a next page on another origin (${url.origin}), not followed with the token`);
    }
    return pages;
  }

  /** One GET with bounded retries for 5xx, rate limits and timeouts; other answers are final. */
  private async request(token: string, commit: string, what: string, url: URL): Promise<Response> {
    let last = '';
    for (let attempt = 0; attempt <= this.config.retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(200 * 2 ** (attempt - 1), 2000));
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${token}`, 'x-github-api-version': '2022-11-28', 'user-agent': 'rewind' },
          signal: AbortSignal.timeout(this.config.timeoutMs),
        });
      } catch (error) {
        const e = error as Error;
        const said = e.name === 'TimeoutError' ? `no answer within ${this.config.timeoutMs} ms` : `${e.message}${(e.cause as Error | undefined)?.message ? ` (${(e.cause as Error).message})` : ''}`;
        // Whatever the HTTP stack says goes into an error message: never with the token in it.
        last = said.split(token).join('***');
        continue;
      }
      if (response.ok) return response;
      const message = await githubMessage(response);
      const rateLimited = response.status === 429 || (response.status === 403 && response.headers.get('x-ratelimit-remaining') === '0');
      if (rateLimited || response.status >= 500) {
        last = `HTTP ${response.status}${message}`;
        continue;
      }
      const details = { repository: this.repository, commit, status: response.status };
      if (response.status === 401 || response.status === 403) {
        throw new RewindError('REWIND_E_CI_AUTH', `GitHub refused the token in $${this.config.tokenEnv} reading the ${what} of ${this.repository}@${commit}: HTTP ${response.status}${message}`, { ...details, tokenEnv: this.config.tokenEnv });
      }
      if (response.status === 404 || response.status === 422) {
        throw new RewindError('REWIND_E_CI_NOT_FOUND', `GitHub has no ${this.repository}@${commit} (or hides it from this token): HTTP ${response.status}${message} reading its ${what}`, details);
      }
      throw this.unavailable(commit, what, `HTTP ${response.status}${message}`);
    }
    throw this.unavailable(commit, what, `${last} after ${this.config.retries + 1} attempts`);
  }

  private unavailable(commit: string, what: string, why: string): RewindError {
    return new RewindError('REWIND_E_CI_UNAVAILABLE', `could not read the ${what} of ${this.repository}@${commit} from ${this.api.origin}: ${why}`, { repository: this.repository, commit });
  }
}

/** The URL of rel="next" in a Link header (RFC 8288, as GitHub writes it), or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /(?:^|;)\s*rel="?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/.test(match[2]!)) return match[1]!;
  }
  return null;
}

/** GitHub's own `message` from an error body, short, or nothing. */
async function githubMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown };
    return typeof body.message === 'string' ? ` (${body.message.slice(0, 200)})` : '';
  } catch {
    return '';
  }
}
