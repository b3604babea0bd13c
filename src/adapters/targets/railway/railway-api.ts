import { RewindError } from '../../../errors/rewind-error.js';
import { RAILWAY_API_ENDPOINT, type RailwayTargetConfig } from './railway-config.js';

/** Railway's DeploymentStatus values a deploy waits through (the rest are terminal). */
export const IN_PROGRESS = new Set(['INITIALIZING', 'QUEUED', 'WAITING', 'NEEDS_APPROVAL', 'BUILDING', 'DEPLOYING']);
/** Terminal and not running: what a deploy that ends here failed with. */
export const FAILED = new Set(['FAILED', 'CRASHED', 'REMOVED', 'REMOVING', 'SKIPPED']);

export interface RailwayDeployment {
  id: string;
  status: string;
  createdAt: string;
  canRollback: boolean;
  deploymentStopped: boolean;
  serviceId: string | null;
  environmentId: string;
  /** DeploymentMeta, a JSON scalar: commitHash, image, branch, … as Railway sets them. */
  meta: Record<string, unknown> | null;
}

/** One retried API request, as the step journal records it. */
export interface ApiRetry {
  operation: string;
  attempt: number;
  reason: string;
  waitMs: number;
}

const DEPLOYMENT_FIELDS = 'id status createdAt canRollback deploymentStopped serviceId environmentId meta';

/**
 * The GraphQL calls the railway target makes, with Railway's answers turned into coded errors that
 * name the object. The token is read from the environment variable the config names, for each
 * request, and is never put in a message, a detail or a retry record (messages from the API are
 * scrubbed of it too). Queries are retried on a 5xx, a 429, a timeout or no answer, `attempts`
 * times at most; mutations are not (one that timed out may have happened): the target checks what
 * happened before it tries again.
 */
export class RailwayApi {
  /** Retries since the last `takeRetries()`: the target puts them in the step's outcome (its journal). */
  private retries: ApiRetry[] = [];
  readonly endpoint: string;

  constructor(
    private readonly config: RailwayTargetConfig,
    private readonly onRetry: (retry: ApiRetry) => void = () => undefined,
  ) {
    this.endpoint = config.endpoint ?? RAILWAY_API_ENDPOINT;
  }

  get where(): string {
    return `Railway service ${this.config.serviceId} in environment ${this.config.environmentId}`;
  }

  takeRetries(): ApiRetry[] {
    const taken = this.retries;
    this.retries = [];
    return taken;
  }

  /** The service and environment exist and the token may see them (their names, for messages). */
  async scope(): Promise<{ service: string; environment: string }> {
    const data = await this.query<{ service: { id: string; name: string; projectId: string }; environment: { id: string; name: string; projectId: string } }>(
      'scope',
      'query scope($serviceId: String!, $environmentId: String!) { service(id: $serviceId) { id name projectId } environment(id: $environmentId) { id name projectId } }',
      { serviceId: this.config.serviceId, environmentId: this.config.environmentId },
      `service ${this.config.serviceId} / environment ${this.config.environmentId}`,
    );
    for (const [what, got] of [['service', data.service], ['environment', data.environment]] as const) {
      if (got.projectId !== this.config.projectId) {
        throw new RewindError('REWIND_E_RAILWAY_NOT_FOUND', `Railway ${what} ${got.id} (${got.name}) belongs to project ${got.projectId}, not ${this.config.projectId} (target.projectId)`, { [what]: got.id, projectId: this.config.projectId });
      }
    }
    return { service: data.service.name, environment: data.environment.name };
  }

  /** The service's deployments in the environment, newest first. */
  async deployments(first = 50): Promise<RailwayDeployment[]> {
    const data = await this.query<{ deployments: { edges: { node: RailwayDeployment }[] } }>(
      'deployments',
      `query deployments($input: DeploymentListInput!, $first: Int) { deployments(input: $input, first: $first) { edges { node { ${DEPLOYMENT_FIELDS} } } } }`,
      { input: { projectId: this.config.projectId, environmentId: this.config.environmentId, serviceId: this.config.serviceId }, first },
      this.where,
    );
    return data.deployments.edges.map((e) => e.node).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  }

  async deployment(id: string): Promise<RailwayDeployment> {
    const data = await this.query<{ deployment: RailwayDeployment }>('deployment', `query deployment($id: String!) { deployment(id: $id) { ${DEPLOYMENT_FIELDS} } }`, { id }, `deployment ${id}`);
    return data.deployment;
  }

  /** deploymentRollback answers only true or false: the new deployment is found by listing. */
  async rollback(id: string): Promise<boolean> {
    const data = await this.mutate<{ deploymentRollback: boolean }>('deploymentRollback', 'mutation deploymentRollback($id: String!) { deploymentRollback(id: $id) }', { id }, `deployment ${id}`);
    return data.deploymentRollback;
  }

  async redeploy(id: string): Promise<RailwayDeployment> {
    const data = await this.mutate<{ deploymentRedeploy: RailwayDeployment }>('deploymentRedeploy', `mutation deploymentRedeploy($id: String!) { deploymentRedeploy(id: $id) { ${DEPLOYMENT_FIELDS} } }`, { id }, `deployment ${id}`);
    return data.deploymentRedeploy;
  }

  async stop(id: string): Promise<void> {
    await this.mutate('deploymentStop', 'mutation deploymentStop($id: String!) { deploymentStop(id: $id) }', { id }, `deployment ${id}`);
  }

  async restart(id: string): Promise<void> {
    await this.mutate('deploymentRestart', 'mutation deploymentRestart($id: String!) { deploymentRestart(id: $id) }', { id }, `deployment ${id}`);
  }

  private query<T>(operation: string, text: string, variables: Record<string, unknown>, object: string): Promise<T> {
    return this.send<T>(operation, text, variables, object, this.config.attempts);
  }

  private mutate<T>(operation: string, text: string, variables: Record<string, unknown>, object: string): Promise<T> {
    return this.send<T>(operation, text, variables, object, 1);
  }

  private token(): string {
    const token = process.env[this.config.tokenEnv];
    if (!token) {
      throw new RewindError('REWIND_E_RAILWAY_TOKEN_MISSING', `the Railway token is not set: environment variable ${this.config.tokenEnv} (target.tokenEnv) is empty or missing`, { tokenEnv: this.config.tokenEnv });
    }
    return token;
  }

  private async send<T>(operation: string, query: string, variables: Record<string, unknown>, object: string, attempts: number): Promise<T> {
    const token = this.token();
    const scrub = (text: string) => text.split(token).join('[redacted]');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.tokenType === 'project') headers['project-access-token'] = token;
    else headers.authorization = `Bearer ${token}`;
    const details = { operation, object, endpoint: this.endpoint };
    for (let attempt = 1; ; attempt++) {
      let transient: string;
      let retryAfterMs: number | null = null;
      let httpStatus: number | null = null;
      try {
        const response = await fetch(this.endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(this.config.requestTimeoutMs) });
        httpStatus = response.status;
        if (response.status === 401 || response.status === 403) {
          throw new RewindError('REWIND_E_RAILWAY_UNAUTHORIZED', `Railway refused ${operation} for ${object} (HTTP ${response.status}): the token in ${this.config.tokenEnv} (${this.config.tokenType} token) is not valid here`, { ...details, httpStatus });
        }
        if (response.status >= 500 || response.status === 429) {
          const after = Number(response.headers.get('retry-after'));
          if (response.status === 429 && Number.isFinite(after) && after > 0) retryAfterMs = Math.min(after * 1000, 10_000);
          await response.body?.cancel();
          transient = `HTTP ${response.status}`;
        } else {
          const text = await response.text();
          let body: { data?: T | null; errors?: { message?: string }[] };
          try {
            body = JSON.parse(text) as typeof body;
          } catch {
            throw new RewindError('REWIND_E_RAILWAY_API', `Railway answered ${operation} for ${object} with HTTP ${response.status} and no GraphQL body: ${scrub(text.slice(0, 200))}`, { ...details, httpStatus });
          }
          if (body.errors?.length) throw this.graphqlError(operation, object, scrub(body.errors.map((e) => e.message ?? '?').join('; ')), details);
          if (!response.ok || !body.data) throw new RewindError('REWIND_E_RAILWAY_API', `Railway answered ${operation} for ${object} with HTTP ${response.status} and no data`, { ...details, httpStatus });
          return body.data;
        }
      } catch (error) {
        if (error instanceof RewindError) throw error;
        const e = error as Error & { cause?: { code?: string } };
        transient = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${this.config.requestTimeoutMs} ms` : `no answer (${scrub(e.cause?.code ?? e.message)})`;
      }
      if (attempt >= attempts) {
        const unanswered = httpStatus === null;
        throw new RewindError(
          unanswered ? 'REWIND_E_RAILWAY_UNREACHABLE' : 'REWIND_E_RAILWAY_API',
          `Railway ${operation} for ${object} failed: ${transient}${attempts > 1 ? ` on each of ${attempts} attempts` : ' (a change is not retried blindly)'} at ${this.endpoint}`,
          { ...details, httpStatus, attempts },
        );
      }
      const waitMs = retryAfterMs ?? Math.min(250 * 2 ** (attempt - 1), 2000);
      const retry = { operation, attempt, reason: transient, waitMs };
      this.retries.push(retry);
      this.onRetry(retry);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }

  /** Railway answers errors with HTTP 200 and `errors`; "Not Authorized" is also what an id the token cannot see gets. */
  private graphqlError(operation: string, object: string, message: string, details: Record<string, unknown>): RewindError {
    if (/not authori[sz]ed|project token not found|unauthenticated/i.test(message)) {
      return new RewindError('REWIND_E_RAILWAY_UNAUTHORIZED', `Railway answered "${message}" to ${operation} for ${object}: the token in ${this.config.tokenEnv} (${this.config.tokenType} token) may not see or change it (a project token is scoped to one environment), or it does not exist`, { ...details, railwayError: message });
    }
    if (/not found|does not exist/i.test(message)) {
      return new RewindError('REWIND_E_RAILWAY_NOT_FOUND', `Railway: ${object} not found (${message}) for ${operation}`, { ...details, railwayError: message });
    }
    return new RewindError('REWIND_E_RAILWAY_API', `Railway ${operation} for ${object} failed: ${message}`, { ...details, railwayError: message });
  }
}
