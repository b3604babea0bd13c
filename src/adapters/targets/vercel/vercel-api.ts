import { RewindError } from '../../../errors/rewind-error.js';
import type { VercelTargetConfig } from './vercel-config.js';

/** The part of a deployment (GET /v13/deployments/{id}, an item of GET /v6/deployments) the target reads. */
export interface VercelDeployment {
  /** `id` on /v13, `uid` on the /v6 list. */
  id: string;
  url: string;
  readyState: string;
  /** `production`, or null for a preview. */
  target: string | null;
  projectId?: string;
  meta: Record<string, string>;
  createdAt: number | null;
}

/** The part of a project (GET /v9/projects/{idOrName}) the target reads. */
export interface VercelProject {
  id: string;
  name: string;
  /** What production serves now: `targets.production` (null before the first production deployment). */
  production: { id: string; url: string | null } | null;
  /** The last promote or rollback job: what `vercel promote status` polls. */
  lastAliasRequest: { fromDeploymentId: string | null; toDeploymentId: string; jobStatus: string; requestedAt: number; type: string } | null;
}

/** The fields of Vercel's answers the target reads; anything else in them is ignored. */
interface RawProject {
  id: string;
  name: string;
  targets?: { production?: { id?: string; url?: string | null } | null };
  lastAliasRequest?: VercelProject['lastAliasRequest'];
}
interface RawDeployment {
  id?: string;
  uid?: string;
  url?: string | null;
  readyState?: string;
  state?: string;
  target?: string | null;
  projectId?: string;
  meta?: Record<string, string> | null;
  createdAt?: number;
  created?: number;
}

/** One retried attempt: kept for the step's journal detail and told to the live view. */
export interface ApiRetry {
  call: string;
  attempt: number;
  reason: string;
}

/**
 * The few Vercel REST calls the target makes, over fetch, with the bearer token read from the
 * environment variable the config names at the first call (never stored, printed or put in an
 * error). Every call is bounded: `requestTimeoutMs` per attempt and `attempts` attempts on a 5xx, a
 * 429 or no answer; a 4xx is answered at once as a coded error naming the project or deployment.
 */
export class VercelApi {
  /** The retries since the last `takeRetries()`: the target puts them in its outcome's detail. */
  private retries: ApiRetry[] = [];
  onRetry: (retry: ApiRetry) => void = () => undefined;

  constructor(private readonly config: VercelTargetConfig) {}

  get where(): string {
    return `Vercel project ${this.config.projectId}${this.config.teamId ? ` (team ${this.config.teamId})` : ''}`;
  }

  takeRetries(): ApiRetry[] {
    const taken = this.retries;
    this.retries = [];
    return taken;
  }

  async project(): Promise<VercelProject> {
    const body = (await this.call('GET', `/v9/projects/${encodeURIComponent(this.config.projectId)}`, {}, { project: this.config.projectId })) as RawProject;
    const production = body.targets?.production;
    return {
      id: String(body.id),
      name: String(body.name),
      production: production?.id ? { id: String(production.id), url: production.url ?? null } : null,
      lastAliasRequest: body.lastAliasRequest ?? null,
    };
  }

  async deployment(idOrUrl: string): Promise<VercelDeployment> {
    const body = (await this.call('GET', `/v13/deployments/${encodeURIComponent(idOrUrl)}`, {}, { deployment: idOrUrl })) as RawDeployment;
    return deploymentOf(body);
  }

  /** One page of the project's deployments, newest first (GET /v6/deployments); `until` pages back. */
  async deployments(query: { sha?: string; until?: number; limit?: number }): Promise<{ deployments: VercelDeployment[]; next: number | null }> {
    const params: Record<string, string> = { projectId: this.config.projectId, limit: String(query.limit ?? 100) };
    if (query.sha) params.sha = query.sha;
    if (query.until) params.until = String(query.until);
    const body = (await this.call('GET', '/v6/deployments', params, { project: this.config.projectId })) as { deployments?: RawDeployment[]; pagination?: { next?: number | null } };
    return { deployments: (body.deployments ?? []).map(deploymentOf), next: body.pagination?.next ?? null };
  }

  /** POST /v10/projects/{projectId}/promote/{deploymentId}: re-points production; Vercel finishes it asynchronously. */
  async promote(projectId: string, deploymentId: string): Promise<void> {
    await this.call('POST', `/v10/projects/${encodeURIComponent(projectId)}/promote/${encodeURIComponent(deploymentId)}`, {}, { project: this.config.projectId, deployment: deploymentId }, {});
  }

  /** POST /v1/projects/{projectId}/pause (or unpause): a paused project's production answers 503. */
  async setPaused(projectId: string, paused: boolean): Promise<void> {
    await this.call('POST', `/v1/projects/${encodeURIComponent(projectId)}/${paused ? 'pause' : 'unpause'}`, {}, { project: this.config.projectId }, {});
  }

  private token(): string {
    const token = process.env[this.config.tokenEnv];
    if (!token) {
      throw new RewindError('REWIND_E_VERCEL_TOKEN_MISSING', `the Vercel token variable ${this.config.tokenEnv} is not set (target.tokenEnv): export it with a token that may read and promote deployments of ${this.config.projectId}`, { tokenEnv: this.config.tokenEnv, project: this.config.projectId });
    }
    return token;
  }

  private async call(method: 'GET' | 'POST', path: string, params: Record<string, string>, names: { project?: string; deployment?: string }, body?: unknown): Promise<unknown> {
    const token = this.token();
    const url = new URL(path.replace(/^\//, ''), this.config.apiUrl.endsWith('/') ? this.config.apiUrl : `${this.config.apiUrl}/`);
    for (const [k, v] of Object.entries({ ...params, ...(this.config.teamId ? { teamId: this.config.teamId } : {}) })) url.searchParams.set(k, v);
    const call = `${method} ${url.pathname}`;
    for (let attempt = 1; ; attempt++) {
      let reason: string;
      let lastStatus: number | null = null;
      try {
        const response = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.config.requestTimeoutMs),
        });
        const text = await response.text();
        if (response.ok) return text ? JSON.parse(text) : {};
        const error = errorOf(text);
        lastStatus = response.status;
        if (response.status < 500 && response.status !== 429) throw this.refused(call, response.status, error, names);
        reason = `HTTP ${response.status}${error.code ? ` ${error.code}` : ''}`;
      } catch (error) {
        if (error instanceof RewindError) throw error;
        const e = error as Error;
        reason = e.name === 'TimeoutError' ? `no answer within ${this.config.requestTimeoutMs} ms (requestTimeoutMs)` : `no answer: ${(e.cause as Error | undefined)?.message ?? e.message}`;
      }
      if (attempt >= this.config.attempts) {
        const details = { call, attempts: attempt, reason, httpStatus: lastStatus, ...names };
        if (lastStatus === null) throw new RewindError('REWIND_E_VERCEL_UNREACHABLE', `${this.where}: ${call} got ${reason} after ${attempt} attempt(s) (target.attempts)`, details);
        throw new RewindError('REWIND_E_VERCEL_API', `${this.where}: ${call} answered ${reason} after ${attempt} attempt(s) (target.attempts)`, details);
      }
      const retry = { call, attempt, reason };
      this.retries.push(retry);
      this.onRetry(retry);
      // Backoff grows with each attempt, capped: the API is overloaded or restarting.
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** (attempt - 1))));
    }
  }

  private refused(call: string, status: number, error: { code?: string; message?: string }, names: { project?: string; deployment?: string }): RewindError {
    const details = { call, httpStatus: status, vercelError: error.code ?? null, ...names };
    const said = error.message ? `: ${error.message}` : '';
    if (status === 401 || status === 403) {
      return new RewindError('REWIND_E_VERCEL_FORBIDDEN', `${this.where}: ${call} was refused (HTTP ${status}${error.code ? ` ${error.code}` : ''}${said}): the token in ${this.config.tokenEnv} may not act on this project${this.config.teamId ? ` in team ${this.config.teamId}` : ''}`, { ...details, tokenEnv: this.config.tokenEnv });
    }
    if (status === 404) {
      const what = names.deployment ? `deployment ${names.deployment} of project ${this.config.projectId}` : `project ${this.config.projectId}`;
      return new RewindError('REWIND_E_VERCEL_NOT_FOUND', `Vercel ${what} not found${this.config.teamId ? ` in team ${this.config.teamId}` : ''} (${call}: HTTP 404${said})`, details);
    }
    return new RewindError('REWIND_E_VERCEL_API', `${this.where}: ${call} answered HTTP ${status}${error.code ? ` ${error.code}` : ''}${said}`, details);
  }
}

/** Vercel's error body: {"error": {"code": "...", "message": "..."}}. Anything else is kept out of messages. */
function errorOf(text: string): { code?: string; message?: string } {
  try {
    const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    return { ...(typeof error?.code === 'string' ? { code: error.code.slice(0, 100) } : {}), ...(typeof error?.message === 'string' ? { message: error.message.slice(0, 300) } : {}) };
  } catch {
    return {};
  }
}

function deploymentOf(body: RawDeployment): VercelDeployment {
  return {
    id: String(body.id ?? body.uid),
    url: String(body.url ?? ''),
    readyState: String(body.readyState ?? body.state ?? 'UNKNOWN'),
    target: body.target ?? null,
    ...(body.projectId ? { projectId: String(body.projectId) } : {}),
    meta: body.meta && typeof body.meta === 'object' ? body.meta : {},
    createdAt: typeof body.createdAt === 'number' ? body.createdAt : typeof body.created === 'number' ? body.created : null,
  };
}
