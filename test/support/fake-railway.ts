import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphqlSyntaxError, parseOperation, resolveValue, type Field } from './graphql-subset.js';

/**
 * A fake of Railway's public GraphQL API (backboard.railway.com/graphql/v2) on 127.0.0.1, for the
 * railway target's tests: POST {query, variables} as JSON, answers `{data}` or `{errors: [{message}]}`
 * with HTTP 200 (as Railway answers "Not Authorized" and not-found), HTTP 5xx during a configured
 * outage. Auth is Railway's two ways: `Project-Access-Token` (a project token, scoped to one
 * environment) or `Authorization: Bearer` (an account token, scoped to its projects).
 *
 * The fields and types are those of Railway's schema (railwayapp/cli src/gql/schema.json): a field
 * the schema subset below does not have is answered `Cannot query field "x" on type "T".`, a
 * selection on a scalar or none on an object is an error, as a GraphQL server answers them.
 *
 * The deployment engine follows Railway's documented lifecycle (docs.railway.com/deployments/reference):
 * INITIALIZING -> BUILDING -> DEPLOYING -> SUCCESS, older live deployments of the service in the
 * environment then REMOVED; a build that fails ends FAILED (the old one keeps serving); a crash after
 * start ends CRASHED (the old one was already removed). A rollback skips the build, makes a new
 * deployment of the old one's image and meta, and restores the service variables it ran with
 * (docs: "Both the Docker image and custom variables are restored"). `canRollback` is true for a
 * deployment that built and is not the live one, unless its image is past retention (`expire`).
 */

export type Behaviour = 'ok' | 'fail-build' | 'crash';

export interface FakeDeployment {
  id: string;
  projectId: string;
  environmentId: string;
  serviceId: string;
  status: string;
  createdAt: number;
  statusUpdatedAt: number;
  meta: Record<string, unknown>;
  image: string;
  behaviour: Behaviour;
  /** The service variables it runs with (restored by a rollback to it). */
  variables: Record<string, string>;
  deploymentStopped: boolean;
  built: boolean;
  expired: boolean;
  /** No build: a rollback or a restart of an image. */
  skipBuild: boolean;
}

interface Token {
  kind: 'project' | 'account';
  projectIds: string[];
  /** Project tokens: the one environment they may touch. */
  environmentId?: string;
}

export interface FakeRailwayOptions {
  initMs?: number;
  buildMs?: number;
  deployMs?: number;
  /** How long a crashing deployment is SUCCESS before it is CRASHED. */
  crashAfterMs?: number;
}

class GraphqlError extends Error {}

// The schema subset: type -> field -> the field's type (a scalar, or an object type by name).
const SCALARS = new Set(['ID', 'String', 'Boolean', 'Int', 'DateTime', 'DeploymentStatus', 'DeploymentMeta']);
const TYPES: Record<string, Record<string, string>> = {
  Query: { deployment: 'Deployment', deployments: 'QueryDeploymentsConnection', service: 'Service', environment: 'Environment', projectToken: 'ProjectToken' },
  Mutation: { deploymentRollback: 'Boolean', deploymentRedeploy: 'Deployment', deploymentStop: 'Boolean', deploymentRestart: 'Boolean' },
  Deployment: {
    id: 'ID', status: 'DeploymentStatus', createdAt: 'DateTime', updatedAt: 'DateTime', statusUpdatedAt: 'DateTime', canRollback: 'Boolean', canRedeploy: 'Boolean',
    deploymentStopped: 'Boolean', meta: 'DeploymentMeta', serviceId: 'String', environmentId: 'String', projectId: 'String', staticUrl: 'String', url: 'String',
  },
  QueryDeploymentsConnection: { edges: 'QueryDeploymentsConnectionEdge', pageInfo: 'PageInfo' },
  QueryDeploymentsConnectionEdge: { node: 'Deployment', cursor: 'String' },
  PageInfo: { hasNextPage: 'Boolean', hasPreviousPage: 'Boolean', startCursor: 'String', endCursor: 'String' },
  Service: { id: 'ID', name: 'String', projectId: 'String', createdAt: 'DateTime' },
  Environment: { id: 'ID', name: 'String', projectId: 'String', createdAt: 'DateTime' },
  ProjectToken: { projectId: 'String', environmentId: 'String' },
};

export class FakeRailway {
  readonly deployments: FakeDeployment[] = [];
  readonly services = new Map<string, { id: string; name: string; projectId: string }>();
  readonly environments = new Map<string, { id: string; name: string; projectId: string }>();
  /** The service variables now, per `serviceId/environmentId`. */
  readonly variables = new Map<string, Record<string, string>>();
  private readonly tokens = new Map<string, Token>();
  /** `query:deployments`, `mutation:deploymentRollback`, `outage:deployment`, `error:deployment`… in order. */
  readonly calls: string[] = [];
  /** Every request's headers and body, to check what crossed the wire. */
  readonly requests: { headers: IncomingMessage['headers']; body: string }[] = [];
  /** Answer this HTTP status to the next `outageCount` requests (all while null), then recover. */
  outage: number | null = null;
  outageCount: number | null = null;
  /** Root fields whose next call is carried out and then answered 502, as a gateway that lost the answer. */
  readonly loseAnswerOf = new Set<string>();
  private readonly timing: Required<FakeRailwayOptions>;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    options: FakeRailwayOptions,
  ) {
    this.timing = { initMs: 10, buildMs: 40, deployMs: 40, crashAfterMs: 60, ...options };
  }

  static async start(options: FakeRailwayOptions = {}): Promise<FakeRailway> {
    let fake: FakeRailway;
    const server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeRailway(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql/v2`, options);
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- the world -----------------------------------------------------------------------------

  project(): string {
    return randomUUID();
  }
  environment(projectId: string, name: string): string {
    const id = randomUUID();
    this.environments.set(id, { id, name, projectId });
    return id;
  }
  service(projectId: string, name: string): string {
    const id = randomUUID();
    this.services.set(id, { id, name, projectId });
    return id;
  }
  token(kind: Token['kind'], projectIds: string[], environmentId?: string): string {
    const token = `${kind}-${randomBytes(12).toString('hex')}`;
    this.tokens.set(token, { kind, projectIds, ...(environmentId ? { environmentId } : {}) });
    return token;
  }
  setVariables(serviceId: string, environmentId: string, variables: Record<string, string>): void {
    this.variables.set(`${serviceId}/${environmentId}`, { ...variables });
  }
  variablesOf(serviceId: string, environmentId: string): Record<string, string> {
    return { ...(this.variables.get(`${serviceId}/${environmentId}`) ?? {}) };
  }

  /** A push (git or `railway up`): a new deployment that builds, deploys and goes live by itself. */
  push(serviceId: string, environmentId: string, options: { commit: string; image: string; behaviour?: Behaviour }): FakeDeployment {
    return this.create(serviceId, environmentId, { commitHash: options.commit, image: options.image }, options.image, options.behaviour ?? 'ok', false);
  }

  /** A deployment from earlier history: it built and ran, and a later one removed it. */
  history(serviceId: string, environmentId: string, options: { commit: string; image: string; variables?: Record<string, string>; behaviour?: Behaviour }): FakeDeployment {
    const d = this.create(serviceId, environmentId, { commitHash: options.commit, image: options.image }, options.image, options.behaviour ?? 'ok', false);
    Object.assign(d, { status: 'REMOVED', built: true, createdAt: d.createdAt - 3_600_000 - this.deployments.length });
    if (options.variables) d.variables = { ...options.variables };
    return d;
  }

  /** Its image is past the plan's retention: canRollback false from now on. */
  expire(id: string): void {
    this.find(id).expired = true;
  }

  find(id: string): FakeDeployment {
    const d = this.deployments.find((x) => x.id === id);
    if (!d) throw new Error(`no fake deployment ${id}`);
    return d;
  }

  /** The images of the deployments that serve now (live and not stopped), oldest first. */
  running(serviceId: string, environmentId: string): string[] {
    this.advance();
    return this.deployments.filter((d) => d.serviceId === serviceId && d.environmentId === environmentId && (d.status === 'SUCCESS' || d.status === 'SLEEPING') && !d.deploymentStopped).map((d) => d.image);
  }

  /** Status by deployment, oldest first: what the tests assert after a story. */
  statuses(serviceId: string, environmentId: string): string[] {
    this.advance();
    return this.deployments.filter((d) => d.serviceId === serviceId && d.environmentId === environmentId).sort((a, b) => a.createdAt - b.createdAt).map((d) => `${d.image}:${d.status}`);
  }

  private create(serviceId: string, environmentId: string, meta: Record<string, unknown>, image: string, behaviour: Behaviour, skipBuild: boolean): FakeDeployment {
    const service = this.services.get(serviceId)!;
    const now = Date.now();
    const d: FakeDeployment = {
      id: randomUUID(), projectId: service.projectId, environmentId, serviceId, status: 'INITIALIZING', createdAt: now + this.deployments.length * 0.001, statusUpdatedAt: now,
      meta: { ...meta }, image, behaviour, variables: this.variablesOf(serviceId, environmentId), deploymentStopped: false, built: skipBuild, expired: false, skipBuild,
    };
    this.deployments.push(d);
    return d;
  }

  /** Moves every deployment along its lifecycle to now (called on each request and each read). */
  private advance(): void {
    const now = Date.now();
    const { initMs, buildMs, deployMs, crashAfterMs } = this.timing;
    for (const d of [...this.deployments].sort((a, b) => a.createdAt - b.createdAt)) {
      for (let moved = true; moved; ) {
        moved = false;
        const elapsed = now - d.statusUpdatedAt;
        const to = (status: string, after: number) => {
          d.status = status;
          d.statusUpdatedAt += after;
          moved = true;
        };
        if (d.status === 'INITIALIZING' && elapsed >= initMs) to(d.skipBuild ? 'DEPLOYING' : 'BUILDING', initMs);
        else if (d.status === 'BUILDING' && elapsed >= buildMs) {
          if (d.behaviour === 'fail-build') to('FAILED', buildMs);
          else {
            d.built = true;
            to('DEPLOYING', buildMs);
          }
        } else if (d.status === 'DEPLOYING' && elapsed >= deployMs) {
          to('SUCCESS', deployMs);
          // The new one is live: the older live (or crashed) deployments of the service go.
          for (const old of this.deployments) {
            if (old !== d && old.serviceId === d.serviceId && old.environmentId === d.environmentId && ['SUCCESS', 'SLEEPING', 'CRASHED'].includes(old.status)) {
              old.status = 'REMOVED';
              old.statusUpdatedAt = d.statusUpdatedAt;
            }
          }
        } else if (d.status === 'SUCCESS' && d.behaviour === 'crash' && elapsed >= crashAfterMs) to('CRASHED', crashAfterMs);
      }
    }
  }

  private live(d: FakeDeployment): boolean {
    return d.status === 'SUCCESS' || d.status === 'SLEEPING';
  }

  private canRollback(d: FakeDeployment): boolean {
    return d.built && !d.expired && !this.live(d) && ['REMOVED', 'CRASHED'].includes(d.status);
  }

  // --- the wire -----------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests.push({ headers: req.headers, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/graphql/v2') return send(404, { errors: [{ message: 'Not Found' }] });
    let request: { query?: unknown; variables?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return send(400, { errors: [{ message: 'Unexpected token in JSON body' }] });
    }
    if (this.outage !== null && (this.outageCount === null || this.outageCount > 0)) {
      if (this.outageCount !== null) this.outageCount--;
      this.calls.push(`outage:${/\{\s*(\w+)/.exec(String(request.query))?.[1] ?? '?'}`);
      // Railway's backboard sets Retry-After (seconds) on every 429.
      res.writeHead(this.outage, { 'content-type': 'text/html', ...(this.outage === 429 ? { 'retry-after': '1' } : {}) });
      return void res.end('<html><body>upstream unavailable</body></html>');
    }
    this.advance();
    try {
      if (typeof request.query !== 'string') throw new GraphqlError('Must provide query string.');
      const operation = parseOperation(request.query);
      const variables = (request.variables ?? {}) as Record<string, unknown>;
      const token = this.authenticate(req);
      // The whole document is validated before anything runs: an invalid mutation changes nothing.
      for (const field of operation.selections) this.validate(operation.type === 'query' ? 'Query' : 'Mutation', field);
      const data: Record<string, unknown> = {};
      for (const field of operation.selections) {
        this.calls.push(`${operation.type}:${field.name}`);
        const args = Object.fromEntries(Object.entries(field.args).map(([k, v]) => [k, resolveValue(v, variables, operation.variables)]));
        const rootType = operation.type === 'query' ? 'Query' : 'Mutation';
        const result = this.resolve(rootType, field, args, token);
        data[field.alias] = this.select(rootType, field, result);
      }
      const lost = operation.selections.find((f) => this.loseAnswerOf.delete(f.name));
      if (lost) {
        this.calls.push(`lost-answer:${lost.name}`);
        res.writeHead(502, { 'content-type': 'text/html' });
        return void res.end('<html><body>502 Bad Gateway</body></html>');
      }
      send(200, { data });
    } catch (error) {
      if (!(error instanceof GraphqlError || error instanceof GraphqlSyntaxError)) throw error;
      this.calls.push(`error:${error.message}`);
      send(200, { data: null, errors: [{ message: error.message, locations: [], path: [] }] });
    }
  }

  private authenticate(req: IncomingMessage): Token | null {
    const project = req.headers['project-access-token'];
    if (typeof project === 'string') {
      const token = this.tokens.get(project);
      if (!token || token.kind !== 'project') throw new GraphqlError('Project Token not found');
      return token;
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) {
      const token = this.tokens.get(bearer);
      return token && token.kind === 'account' ? token : null;
    }
    return null;
  }

  /** Railway answers the same "Not Authorized" for no token, a token of another project or environment. */
  private allow(token: Token | null, projectId: string, environmentId?: string): void {
    if (!token || !token.projectIds.includes(projectId) || (token.kind === 'project' && environmentId !== undefined && token.environmentId !== environmentId)) throw new GraphqlError('Not Authorized');
  }

  private deployment(id: unknown, token: Token | null): FakeDeployment {
    const d = this.deployments.find((x) => x.id === id);
    if (!d) throw new GraphqlError('Deployment not found');
    this.allow(token, d.projectId, d.environmentId);
    return d;
  }

  private resolve(type: 'Query' | 'Mutation', field: Field, args: Record<string, unknown>, token: Token | null): unknown {
    if (!(field.name in TYPES[type]!)) throw new GraphqlError(`Cannot query field "${field.name}" on type "${type}".`);
    const need = (name: string) => {
      if (typeof args[name] !== 'string') throw new GraphqlError(`Field "${field.name}" argument "${name}" of type "String!" is required, but it was not provided.`);
      return args[name] as string;
    };
    switch (field.name) {
      case 'deployment':
        return this.render(this.deployment(need('id'), token));
      case 'deployments': {
        const input = (args.input ?? {}) as { projectId?: string; environmentId?: string; serviceId?: string };
        const service = input.serviceId ? this.services.get(input.serviceId) : undefined;
        if (input.serviceId && !service) throw new GraphqlError('Service not found');
        if (input.environmentId && !this.environments.has(input.environmentId)) throw new GraphqlError('Environment not found');
        const projectId = input.projectId ?? service?.projectId ?? this.environments.get(input.environmentId ?? '')?.projectId;
        if (!projectId) throw new GraphqlError('Not Authorized');
        this.allow(token, projectId, token?.kind === 'project' ? (input.environmentId ?? '') : input.environmentId);
        const first = typeof args.first === 'number' ? args.first : 100;
        const nodes = this.deployments
          .filter((d) => d.projectId === projectId && (!input.serviceId || d.serviceId === input.serviceId) && (!input.environmentId || d.environmentId === input.environmentId))
          .sort((a, b) => b.createdAt - a.createdAt)
          .slice(0, first);
        return { edges: nodes.map((d) => ({ node: this.render(d), cursor: d.id })), pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: nodes[0]?.id ?? null, endCursor: nodes.at(-1)?.id ?? null } };
      }
      case 'service':
      case 'environment': {
        const found = (field.name === 'service' ? this.services : this.environments).get(need('id'));
        if (!found) throw new GraphqlError(`${field.name === 'service' ? 'Service' : 'Environment'} not found`);
        this.allow(token, found.projectId, field.name === 'environment' ? found.id : undefined);
        return { ...found, createdAt: new Date(0).toISOString() };
      }
      case 'projectToken':
        if (token?.kind !== 'project') throw new GraphqlError('Not Authorized');
        return { projectId: token.projectIds[0], environmentId: token.environmentId };
      case 'deploymentRollback': {
        const d = this.deployment(need('id'), token);
        if (!this.canRollback(d)) throw new GraphqlError('Deployment cannot be rolled back');
        const copy = this.create(d.serviceId, d.environmentId, d.meta, d.image, d.behaviour, true);
        // The image and the variables it ran with come back.
        copy.variables = { ...d.variables };
        this.setVariables(d.serviceId, d.environmentId, d.variables);
        return true;
      }
      case 'deploymentRedeploy': {
        const d = this.deployment(need('id'), token);
        // A rebuild from the same source, with today's variables.
        return this.render(this.create(d.serviceId, d.environmentId, d.meta, d.image, d.behaviour, false));
      }
      case 'deploymentStop':
      case 'deploymentRestart': {
        const d = this.deployment(need('id'), token);
        if (!this.live(d)) throw new GraphqlError(`Deployment is ${d.status}`);
        d.deploymentStopped = field.name === 'deploymentStop';
        return true;
      }
      default:
        throw new GraphqlError(`Cannot query field "${field.name}" on type "${type}".`);
    }
  }

  private render(d: FakeDeployment): Record<string, unknown> {
    return {
      id: d.id, status: d.status, createdAt: new Date(d.createdAt).toISOString(), updatedAt: new Date(d.statusUpdatedAt).toISOString(), statusUpdatedAt: new Date(d.statusUpdatedAt).toISOString(),
      canRollback: this.canRollback(d), canRedeploy: d.built, deploymentStopped: d.deploymentStopped, meta: d.meta, serviceId: d.serviceId, environmentId: d.environmentId, projectId: d.projectId,
      staticUrl: null, url: null,
    };
  }

  /** A field and its selection set against the schema subset, as a server validates a document. */
  private validate(parentType: string, field: Field): void {
    const type = TYPES[parentType]?.[field.name];
    if (!type) throw new GraphqlError(`Cannot query field "${field.name}" on type "${parentType}".`);
    if (SCALARS.has(type)) {
      if (field.selections) throw new GraphqlError(`Field "${field.name}" must not have a selection since type "${type}!" has no subfields.`);
      return;
    }
    if (!field.selections) throw new GraphqlError(`Field "${field.name}" of type "${type}!" must have a selection of subfields. Did you mean "${field.name} { ... }"?`);
    for (const sub of field.selections) this.validate(type, sub);
  }

  /** The selection set applied to a result (already validated). */
  private select(parentType: string, field: Field, value: unknown): unknown {
    const type = TYPES[parentType]?.[field.name];
    if (!type) throw new GraphqlError(`Cannot query field "${field.name}" on type "${parentType}".`);
    if (SCALARS.has(type)) {
      if (field.selections) throw new GraphqlError(`Field "${field.name}" must not have a selection since type "${type}!" has no subfields.`);
      return value;
    }
    if (!field.selections) throw new GraphqlError(`Field "${field.name}" of type "${type}!" must have a selection of subfields. Did you mean "${field.name} { ... }"?`);
    const one = (item: unknown) => {
      if (item === null || item === undefined) return null;
      const out: Record<string, unknown> = {};
      for (const sub of field.selections!) out[sub.alias] = this.select(type, sub, (item as Record<string, unknown>)[sub.name]);
      return out;
    };
    return Array.isArray(value) ? value.map(one) : one(value);
  }
}
