import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A fake of the slice of the Vercel REST API the vercel target uses, on loopback, with the shapes of
 * the public API reference (vercel.com/docs/rest-api) and of the vercel CLI's `promote` and
 * `promote status` source:
 *   GET  /v9/projects/{idOrName}                     id, name, accountId, targets.production, lastAliasRequest
 *   GET  /v13/deployments/{idOrUrl}                  id, url, readyState, target, projectId, meta, createdAt
 *   GET  /v6/deployments?projectId&sha&until&limit   {deployments: [{uid, url, state, readyState, target, meta, created, createdAt}], pagination}
 *   POST /v10/projects/{projectId}/promote/{deploymentId}    201 {} ; the switch happens later (a job)
 *   POST /v1/projects/{projectId}/rollback/{deploymentId}    the same job, type rollback
 *   POST /v1/projects/{projectId}/pause | unpause           a paused project's production answers 503
 * Every call needs `Authorization: Bearer <token>` for a token the fake knows; a token is scoped to
 * teams (as Vercel's are): a call with ?teamId= outside its scope is 403 forbidden, an unknown token 403
 * with invalidToken. Errors are Vercel's {"error": {"code", "message"}}. Unknown project or
 * deployment: 404. A deployment that is not READY, or a preview, cannot be promoted (400).
 *
 * A promote is a job (lastAliasRequest: pending, in-progress, then succeeded or failed) that
 * advances on the clock, lazily at each request, so no timer outlives the server: after
 * `promoteDelayMs` the project's production target switches to the deployment. Faults: `failNext`
 * answers the next n API calls matching a pattern with a status; `hang` never answers matching calls.
 *
 * The data plane: `productionUrl(project)` serves whatever the project's production deployment is
 * (its version at any path; /health 200, or 500 for a deployment made unhealthy), 503 while paused.
 * Modelled from the documentation, not checked against real Vercel or the vercel CLI.
 */

export interface FakeVercelDeployment {
  id: string;
  url: string;
  name: string;
  projectId: string;
  readyState: 'READY' | 'ERROR' | 'BUILDING' | 'QUEUED' | 'CANCELED';
  target: 'production' | null;
  meta: Record<string, string>;
  createdAt: number;
  /** What the deployment serves: its version; unhealthy answers /health with 500. */
  app: { version: string; healthy: boolean };
}

export interface FakeVercelProject {
  id: string;
  name: string;
  /** team_... or the user's id. */
  accountId: string;
  productionId: string | null;
  paused: boolean;
  lastAliasRequest: { fromDeploymentId: string | null; toDeploymentId: string; jobStatus: 'pending' | 'in-progress' | 'succeeded' | 'failed'; requestedAt: number; type: 'promote' | 'rollback' } | null;
}

interface Fault {
  pattern: RegExp;
  status: number;
  left: number;
}

export class FakeVercel {
  readonly projects: FakeVercelProject[] = [];
  readonly deployments: FakeVercelDeployment[] = [];
  /** Every API call as `METHOD /path` (never a header or a token); data-plane requests are not counted. */
  readonly calls: string[] = [];
  /** token -> the teams it is scoped to (a personal account's id counts as one). */
  private readonly tokens = new Map<string, string[]>();
  private readonly faults: Fault[] = [];
  /** Calls matching this never get an answer (the client's timeout must end them). */
  hang: RegExp | null = null;
  /** Deployments whose promote job fails (not every alias could be moved). */
  readonly failingPromotes = new Set<string>();
  private clock = Date.now();

  private constructor(
    private readonly server: Server,
    readonly promoteDelayMs: number,
  ) {}

  static async start(options: { promoteDelayMs?: number } = {}): Promise<FakeVercel> {
    const server = createServer();
    const fake = new FakeVercel(server, options.promoteDelayMs ?? 150);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The production domain of a project, as a URL on the fake's data plane. */
  productionUrl(projectName: string): string {
    return `${this.apiUrl}/__production/${projectName}`;
  }

  addToken(token: string, teams: string[]): void {
    this.tokens.set(token, teams);
  }

  createProject(name: string, accountId: string): FakeVercelProject {
    const project: FakeVercelProject = { id: `prj_${randomBytes(12).toString('hex')}`, name, accountId, productionId: null, paused: false, lastAliasRequest: null };
    this.projects.push(project);
    return project;
  }

  /** A finished build of the project (what `vercel deploy --prod` or a git push makes); production ones do not go live by themselves here. */
  createDeployment(projectName: string, options: { version: string; commit?: string; target?: 'production' | null; readyState?: FakeVercelDeployment['readyState']; healthy?: boolean; meta?: Record<string, string> }): FakeVercelDeployment {
    const project = this.projects.find((p) => p.name === projectName)!;
    const hash = randomBytes(5).toString('hex').slice(0, 9);
    // Strictly increasing creation times, so "newest" and pagination are well defined.
    this.clock = Math.max(this.clock + 1, Date.now());
    const deployment: FakeVercelDeployment = {
      id: `dpl_${randomBytes(14).toString('base64url').replace(/[-_]/g, 'x')}`,
      url: `${projectName}-${hash}.vercel.app`,
      name: projectName,
      projectId: project.id,
      readyState: options.readyState ?? 'READY',
      target: options.target === undefined ? 'production' : options.target,
      meta: { ...(options.commit ? { githubCommitSha: options.commit, githubCommitRef: 'main' } : {}), ...(options.meta ?? {}) },
      createdAt: this.clock,
      app: { version: options.version, healthy: options.healthy ?? true },
    };
    this.deployments.push(deployment);
    return deployment;
  }

  /** Makes a deployment production at once (what ran before rewind took the project over). */
  setProduction(projectName: string, deploymentId: string): void {
    this.projects.find((p) => p.name === projectName)!.productionId = deploymentId;
  }

  project(name: string): FakeVercelProject {
    this.advance();
    return this.projects.find((p) => p.name === name)!;
  }

  /** The next `count` API calls whose `METHOD /path` matches answer `status` (a 5xx, a 429). */
  failNext(count: number, status: number, pattern: RegExp = /./): void {
    this.faults.push({ pattern, status, left: count });
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.hang = null;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Moves every pending promote job along the clock. */
  private advance(): void {
    const now = Date.now();
    for (const project of this.projects) {
      const job = project.lastAliasRequest;
      if (!job || (job.jobStatus !== 'pending' && job.jobStatus !== 'in-progress')) continue;
      if (now - job.requestedAt >= this.promoteDelayMs) {
        if (this.failingPromotes.has(job.toDeploymentId)) job.jobStatus = 'failed';
        else {
          project.productionId = job.toDeploymentId;
          job.jobStatus = 'succeeded';
        }
      } else if (now - job.requestedAt >= this.promoteDelayMs / 2) job.jobStatus = 'in-progress';
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    for await (const _ of req); // the body is never needed (promote and pause take {})
    this.advance();
    if (url.pathname.startsWith('/__production/')) return this.serve(url, res);
    const call = `${req.method} ${url.pathname}`;
    this.calls.push(call);
    if (this.hang?.test(call)) return; // never answered
    const fault = this.faults.find((f) => f.left > 0 && f.pattern.test(call));
    if (fault) {
      fault.left--;
      return send(res, fault.status, { error: { code: fault.status === 429 ? 'rate_limited' : 'internal_server_error', message: fault.status === 429 ? 'Rate limit exceeded' : 'An unexpected internal error occurred' } });
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const scopes = auth ? this.tokens.get(auth[1]!) : undefined;
    if (!scopes) return send(res, 403, { error: { code: 'forbidden', message: 'Not authorized', invalidToken: true } });
    const teamId = url.searchParams.get('teamId');
    if (teamId && !scopes.includes(teamId)) return send(res, 403, { error: { code: 'forbidden', message: 'You don\'t have permission to access this resource.' } });
    const account = teamId ?? scopes[0]!;
    const projectOf = (idOrName: string) => this.projects.find((p) => p.accountId === account && (p.id === idOrName || p.name === idOrName));
    const notFound = (what: string) => send(res, 404, { error: { code: 'not_found', message: `${what} not found` } });
    let m: RegExpExecArray | null;

    if (req.method === 'GET' && (m = /^\/v9\/projects\/([^/]+)$/.exec(url.pathname))) {
      const project = projectOf(decodeURIComponent(m[1]!));
      if (!project) return notFound('Project');
      const production = this.deployments.find((d) => d.id === project.productionId);
      return send(res, 200, {
        id: project.id,
        name: project.name,
        accountId: project.accountId,
        framework: null,
        nodeVersion: '22.x',
        ...(project.paused ? { paused: true } : {}),
        targets: production ? { production: { id: production.id, url: production.url, readyState: production.readyState, target: 'production', createdAt: production.createdAt, meta: production.meta } } : {},
        ...(project.lastAliasRequest ? { lastAliasRequest: project.lastAliasRequest } : {}),
      });
    }
    if (req.method === 'GET' && (m = /^\/v13\/deployments\/([^/]+)$/.exec(url.pathname))) {
      const key = decodeURIComponent(m[1]!);
      const deployment = this.deployments.find((d) => (d.id === key || d.url === key) && this.projects.some((p) => p.id === d.projectId && p.accountId === account));
      if (!deployment) return notFound('Deployment');
      return send(res, 200, { id: deployment.id, url: deployment.url, name: deployment.name, projectId: deployment.projectId, readyState: deployment.readyState, target: deployment.target, meta: deployment.meta, createdAt: deployment.createdAt, ownerId: account, alias: deployment.id === this.projects.find((p) => p.id === deployment.projectId)?.productionId ? [`${deployment.name}.vercel.app`] : [] });
    }
    if (req.method === 'GET' && url.pathname === '/v6/deployments') {
      const projectKey = url.searchParams.get('projectId');
      const project = projectKey ? projectOf(projectKey) : undefined;
      if (projectKey && !project) return notFound('Project');
      const sha = url.searchParams.get('sha');
      const until = Number(url.searchParams.get('until') ?? Infinity);
      const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 20));
      const matching = this.deployments
        .filter((d) => (project ? d.projectId === project.id : this.projects.some((p) => p.id === d.projectId && p.accountId === account)))
        .filter((d) => !sha || d.meta.githubCommitSha === sha)
        .filter((d) => d.createdAt < until)
        .sort((a, b) => b.createdAt - a.createdAt);
      const page = matching.slice(0, limit);
      return send(res, 200, {
        pagination: { count: page.length, next: matching.length > limit ? page.at(-1)!.createdAt : null, prev: page[0]?.createdAt ?? null },
        deployments: page.map((d) => ({ uid: d.id, name: d.name, url: d.url, created: d.createdAt, createdAt: d.createdAt, state: d.readyState, readyState: d.readyState, type: 'LAMBDAS', target: d.target, meta: d.meta, projectId: d.projectId, source: 'git' })),
      });
    }
    if (req.method === 'POST' && (m = /^\/(v10\/projects\/([^/]+)\/promote|v1\/projects\/([^/]+)\/rollback)\/([^/]+)$/.exec(url.pathname))) {
      const project = projectOf(decodeURIComponent(m[2] ?? m[3]!));
      if (!project) return notFound('Project');
      const deployment = this.deployments.find((d) => d.id === decodeURIComponent(m![4]!) && d.projectId === project.id);
      if (!deployment) return notFound('Deployment');
      if (deployment.readyState !== 'READY') return send(res, 400, { error: { code: 'bad_request', message: `Deployment ${deployment.id} is not ready (${deployment.readyState})` } });
      if (deployment.target !== 'production') return send(res, 400, { error: { code: 'bad_request', message: 'Only production deployments can be promoted without a rebuild' } });
      project.lastAliasRequest = { fromDeploymentId: project.productionId, toDeploymentId: deployment.id, jobStatus: 'pending', requestedAt: Date.now(), type: m[2] ? 'promote' : 'rollback' };
      return send(res, 201, {});
    }
    if (req.method === 'POST' && (m = /^\/v1\/projects\/([^/]+)\/(pause|unpause)$/.exec(url.pathname))) {
      const project = projectOf(decodeURIComponent(m[1]!));
      // The reference says a pause of an unknown project is a 400.
      if (!project) return send(res, 400, { error: { code: 'bad_request', message: 'Project not found' } });
      project.paused = m[2] === 'pause';
      return send(res, 200, {});
    }
    return send(res, 404, { error: { code: 'not_found', message: `no route ${call}` } });
  }

  private serve(url: URL, res: ServerResponse): void {
    const [, , name, ...rest] = url.pathname.split('/');
    const project = this.projects.find((p) => p.name === name);
    if (!project) return void res.writeHead(404).end('DEPLOYMENT_NOT_FOUND');
    if (project.paused) return void res.writeHead(503).end('DEPLOYMENT_PAUSED');
    const deployment = this.deployments.find((d) => d.id === project.productionId);
    if (!deployment) return void res.writeHead(404).end('DEPLOYMENT_NOT_FOUND');
    if (rest.join('/') === 'health') {
      return void res.writeHead(deployment.app.healthy ? 200 : 500, { 'content-type': 'application/json' }).end(JSON.stringify({ version: deployment.app.version, ok: deployment.app.healthy }));
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(deployment.app.version);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
