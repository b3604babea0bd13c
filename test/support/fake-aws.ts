import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A fake of the two AWS APIs the ecs target (and an ALB blue-green switch) talk to, on loopback:
 *   ECS    JSON 1.1 protocol: POST /, X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>
 *   ELBv2  query protocol: POST / form-encoded Action=<Op>&Version=2015-12-01, XML answers
 * Every request must carry a SigV4 Authorization header (AWS4-HMAC-SHA256, credential scope for the
 * right region and service, SignedHeaders including host and x-amz-date) whose signature the fake
 * recomputes with the secret of FAKE_CREDENTIALS: an unknown key or a wrong signature is refused as AWS does. Modelled from the ECS and ELBv2 API references, and checked
 * with the real aws CLI (test/targets/ecs-fake-aws-cli.test.ts).
 *
 * The deployment engine advances on the clock (one tick per `tickMs`), lazily at each request, so no
 * timer outlives the server: UpdateService to a new revision makes a new PRIMARY deployment
 * (rolloutState IN_PROGRESS, the old one ACTIVE); each tick starts one task of the new deployment and
 * stops one of the old ones; when the new one runs desiredCount tasks and the old ones none, they are
 * dropped and the rollout is COMPLETED. A revision whose image `neverStable` matches never gets a
 * task running: every tick one task fails; with the deployment circuit breaker (enable + rollback)
 * after `failureThreshold` failed tasks the deployment turns FAILED and ECS's own rollback starts: a
 * new PRIMARY deployment of the last COMPLETED revision, which then settles like any other. Without
 * the circuit breaker it stays IN_PROGRESS forever, as on ECS.
 */

const ACCOUNT = '123456789012';
/** The only key the fake accepts; hand these to the SDK's chain (environment) and the aws CLI. */
export const FAKE_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-fake' };
const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const ELB_NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const AUTH = /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

export interface FakeTaskDefinition {
  family: string;
  revision: number;
  taskDefinitionArn: string;
  status: 'ACTIVE' | 'INACTIVE';
  containerDefinitions: { name: string; image: string; essential?: boolean }[];
}
export interface FakeDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  failedTasks: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  createdAt: number;
  updatedAt: number;
}
export interface FakeService {
  serviceName: string;
  serviceArn: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinition: string;
  circuitBreaker: boolean;
  deployments: FakeDeployment[];
  events: { id: string; createdAt: number; message: string }[];
  /** The revision of the last deployment that COMPLETED: what a circuit breaker rolls back to. */
  lastCompleted: string | null;
  /**
   * The ALB target group the service registers its tasks in (CreateService loadBalancers): each
   * running task is a target of it, as ECS registers and deregisters them.
   */
  targetGroupArn: string | null;
}
export interface FakeTarget {
  id: string;
  port: number;
  state: 'healthy' | 'unhealthy' | 'initial' | 'draining' | 'unused';
  /** For a task of an ECS service: the task definition it runs (the data plane answers for it). */
  task?: { service: string; taskDefinition: string; images: string[] };
}
export interface FakeTargetGroup {
  arn: string;
  name: string;
  port: number;
  targets: FakeTarget[];
}
export interface FakeListener {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  /** target group ARN -> weight, the listener's default forward action. */
  forward: { arn: string; weight: number }[];
}

export interface FakeAwsOptions {
  region?: string;
  tickMs?: number;
  /** Images (matched as substrings) whose tasks never become healthy. */
  neverStable?: string[];
  failureThreshold?: number;
  /**
   * Images (substrings) whose tasks run, so ECS calls the service stable, but fail the target
   * group's health check: their targets are `unhealthy`.
   */
  unhealthyTargets?: string[];
}

export class FakeAws {
  readonly region: string;
  readonly tickMs: number;
  readonly neverStable: string[];
  readonly failureThreshold: number;
  readonly unhealthyTargets: string[];
  readonly clusters = new Set<string>();
  readonly taskDefinitions: FakeTaskDefinition[] = [];
  readonly services = new Map<string, FakeService>();
  readonly targetGroups = new Map<string, FakeTargetGroup>();
  readonly listeners = new Map<string, FakeListener>();
  /** Every request, as `<service>:<operation>` (ecs:UpdateService, elasticloadbalancing:ModifyListener). */
  readonly calls: string[] = [];
  /** Set to answer every request with this HTTP status (an outage). */
  outage: number | null = null;
  private lastTick = Date.now();
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    options: FakeAwsOptions,
  ) {
    this.region = options.region ?? 'eu-west-1';
    this.tickMs = options.tickMs ?? 50;
    this.neverStable = options.neverStable ?? [];
    this.failureThreshold = options.failureThreshold ?? 3;
    this.unhealthyTargets = options.unhealthyTargets ?? [];
  }

  static async start(options: FakeAwsOptions = {}): Promise<FakeAws> {
    let fake: FakeAws | undefined;
    const server = createServer((req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeAws(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, options);
    return fake;
  }

  private readonly dataPlanes: Server[] = [];

  /**
   * The listener's data plane, for router tests: an HTTP port on loopback that forwards each request
   * (keep-alive connections included) to a target of the group the listener's weights pick, by smooth
   * weighted round robin, as an ALB applies a forward action per request.
   */
  async serveListener(listener: FakeListener): Promise<number> {
    const credit = new Map<string, number>();
    const server = createServer((req, res) => {
      const live = listener.forward.filter((f) => f.weight > 0);
      const total = live.reduce((sum, f) => sum + f.weight, 0);
      if (total === 0) return void res.writeHead(503).end('no target group');
      for (const f of live) credit.set(f.arn, (credit.get(f.arn) ?? 0) + f.weight);
      const chosen = live.reduce((best, f) => ((credit.get(f.arn) ?? 0) > (credit.get(best.arn) ?? 0) ? f : best));
      credit.set(chosen.arn, credit.get(chosen.arn)! - total);
      const group = this.targetGroups.get(chosen.arn);
      const target = group ? this.targetsOf(group).find((t) => t.state === 'healthy') : undefined;
      if (!target) return void res.writeHead(503).end('no healthy target');
      // A task of an ECS service has no process here: the fake answers for it, naming what it runs.
      if (target.task) return void req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ target: `${target.id}:${target.port}`, ...target.task })));
      const upstream = request({ host: target.id, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end('upstream failed'));
      req.pipe(upstream);
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.dataPlanes.push(server);
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const plane of this.dataPlanes) {
      plane.closeAllConnections();
      await new Promise<void>((resolve) => plane.close(() => resolve()));
    }
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- set-up helpers for tests (the same state the API serves) ---

  registerTaskDefinition(family: string, containers: { name: string; image: string }[]): FakeTaskDefinition {
    const revision = this.taskDefinitions.filter((t) => t.family === family).length + 1;
    const definition: FakeTaskDefinition = { family, revision, taskDefinitionArn: `arn:aws:ecs:${this.region}:${ACCOUNT}:task-definition/${family}:${revision}`, status: 'ACTIVE', containerDefinitions: containers.map((c) => ({ ...c, essential: true })) };
    this.taskDefinitions.push(definition);
    return definition;
  }

  /** A service already settled on `taskDefinition` (running = desired, one COMPLETED deployment). */
  createService(cluster: string, name: string, taskDefinition: string, desiredCount: number, circuitBreaker = true, targetGroupArn: string | null = null): FakeService {
    this.clusters.add(cluster);
    const arn = this.findTaskDefinition(taskDefinition)!.taskDefinitionArn;
    const now = Date.now() / 1000;
    const service: FakeService = {
      serviceName: name,
      serviceArn: `arn:aws:ecs:${this.region}:${ACCOUNT}:service/${cluster}/${name}`,
      clusterArn: this.clusterArn(cluster),
      status: 'ACTIVE',
      desiredCount,
      taskDefinition: arn,
      circuitBreaker,
      deployments: [{ id: `ecs-svc/${randomUUID().replace(/-/g, '').slice(0, 19)}`, status: 'PRIMARY', taskDefinition: arn, desiredCount, runningCount: desiredCount, pendingCount: 0, failedTasks: 0, rolloutState: 'COMPLETED', rolloutStateReason: 'ECS deployment completed.', createdAt: now, updatedAt: now }],
      events: [],
      lastCompleted: arn,
      targetGroupArn,
    };
    this.services.set(`${cluster}/${name}`, service);
    return service;
  }

  service(cluster: string, name: string): FakeService {
    this.advance();
    return this.services.get(`${cluster}/${name}`)!;
  }

  /** The images of the tasks that run now, one entry per running task (what "answers"). */
  runningImages(cluster: string, name: string): string[] {
    const service = this.service(cluster, name);
    return service.deployments.flatMap((d) => Array.from({ length: d.runningCount }, () => this.findTaskDefinition(d.taskDefinition)!.containerDefinitions.map((c) => c.image).join(',')));
  }

  addTargetGroup(name: string, port: number, targets: FakeTarget[]): FakeTargetGroup {
    const group = { arn: `arn:aws:elasticloadbalancing:${this.region}:${ACCOUNT}:targetgroup/${name}/${randomUUID().replace(/-/g, '').slice(0, 16)}`, name, port, targets };
    this.targetGroups.set(group.arn, group);
    return group;
  }

  /**
   * A target group's targets: those registered by hand, then one per running task of each service
   * attached to it (an address per task, healthy unless its image is in `unhealthyTargets`).
   */
  targetsOf(group: FakeTargetGroup): FakeTarget[] {
    this.advance();
    const tasks: FakeTarget[] = [];
    [...this.services.values()].forEach((service, s) => {
      if (service.targetGroupArn !== group.arn || service.status !== 'ACTIVE') return;
      service.deployments.forEach((d, k) => {
        const images = this.findTaskDefinition(d.taskDefinition)!.containerDefinitions.map((c) => c.image);
        const unhealthy = images.some((image) => this.unhealthyTargets.some((bad) => image.includes(bad)));
        for (let i = 0; i < d.runningCount; i++) {
          tasks.push({ id: `10.${s % 250}.${k % 250}.${i + 1}`, port: group.port, state: unhealthy ? 'unhealthy' : 'healthy', task: { service: service.serviceName, taskDefinition: d.taskDefinition, images } });
        }
      });
    });
    return [...group.targets, ...tasks];
  }

  addListener(port: number, targetGroupArn: string): FakeListener {
    const lb = `arn:aws:elasticloadbalancing:${this.region}:${ACCOUNT}:loadbalancer/app/shop/${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const listener = { arn: `${lb.replace(':loadbalancer/', ':listener/')}/${randomUUID().replace(/-/g, '').slice(0, 16)}`, loadBalancerArn: lb, port, protocol: 'HTTP', forward: [{ arn: targetGroupArn, weight: 1 }] };
    this.listeners.set(listener.arn, listener);
    return listener;
  }

  // --- the deployment engine ---

  private advance(): void {
    const ticks = Math.floor((Date.now() - this.lastTick) / this.tickMs);
    if (ticks <= 0) return;
    this.lastTick += ticks * this.tickMs;
    for (let i = 0; i < Math.min(ticks, 1000); i++) for (const service of this.services.values()) this.tick(service);
  }

  private tick(service: FakeService): void {
    const primary = service.deployments[0]!;
    const now = Date.now() / 1000;
    const images = this.findTaskDefinition(primary.taskDefinition)!.containerDefinitions.map((c) => c.image);
    const broken = images.some((image) => this.neverStable.some((bad) => image.includes(bad)));
    if (broken && primary.rolloutState === 'IN_PROGRESS' && primary.desiredCount > 0) {
      primary.failedTasks++;
      primary.updatedAt = now;
      this.event(service, `(service ${service.serviceName}) has started 1 tasks: (task ${randomUUID().slice(0, 8)}). The task stopped: Essential container in task exited`);
      if (service.circuitBreaker && primary.failedTasks >= this.failureThreshold && service.lastCompleted) {
        primary.rolloutState = 'FAILED';
        primary.rolloutStateReason = `ECS deployment circuit breaker: tasks failed to start.`;
        primary.status = 'ACTIVE';
        const rollback: FakeDeployment = { id: this.deploymentId(), status: 'PRIMARY', taskDefinition: service.lastCompleted, desiredCount: service.desiredCount, runningCount: 0, pendingCount: 0, failedTasks: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment circuit breaker: rolling back to deploymentId ' + primary.id + '.', createdAt: now, updatedAt: now };
        service.deployments.unshift(rollback);
        service.taskDefinition = service.lastCompleted;
        this.event(service, `(service ${service.serviceName}) (deployment ${primary.id}) deployment failed: tasks failed to start.`);
      }
      return;
    }
    if (broken) return;
    let changed = false;
    if (primary.runningCount < primary.desiredCount) (primary.runningCount++, (changed = true));
    else if (primary.runningCount > primary.desiredCount) (primary.runningCount--, (changed = true));
    for (const old of service.deployments.slice(1)) {
      if (old.runningCount > 0) (old.runningCount--, (changed = true));
    }
    if (changed) primary.updatedAt = now;
    if (primary.runningCount === primary.desiredCount && service.deployments.slice(1).every((d) => d.runningCount === 0)) {
      if (service.deployments.length > 1 || primary.rolloutState === 'IN_PROGRESS') {
        service.deployments.splice(1);
        primary.rolloutState = 'COMPLETED';
        primary.rolloutStateReason = 'ECS deployment completed.';
        service.lastCompleted = primary.taskDefinition;
        this.event(service, `(service ${service.serviceName}) has reached a steady state.`);
      }
    }
  }

  private event(service: FakeService, message: string): void {
    service.events.unshift({ id: randomUUID(), createdAt: Date.now() / 1000, message });
    service.events.splice(50);
  }

  private deploymentId(): string {
    return `ecs-svc/${randomUUID().replace(/-/g, '').slice(0, 19)}`;
  }

  private clusterArn(cluster: string): string {
    return `arn:aws:ecs:${this.region}:${ACCOUNT}:cluster/${cluster}`;
  }

  private clusterName(given: string | undefined): string {
    const name = (given ?? 'default').split('/').pop()!;
    if (!this.clusters.has(name)) throw new AwsError(400, 'ClusterNotFoundException', 'Cluster not found.');
    return name;
  }

  findTaskDefinition(reference: string): FakeTaskDefinition | undefined {
    const short = reference.includes(':task-definition/') ? reference.split('/').pop()! : reference;
    const [family, revision] = short.split(':');
    if (revision === undefined) return this.taskDefinitions.filter((t) => t.family === family && t.status === 'ACTIVE').pop();
    return this.taskDefinitions.find((t) => t.family === family && t.revision === Number(revision));
  }

  // --- HTTP ---

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const target = req.headers['x-amz-target'];
    const ecs = typeof target === 'string' && target.startsWith(ECS_TARGET_PREFIX);
    try {
      if (req.method !== 'POST') throw new AwsError(405, 'UnsupportedOperation', `${req.method} is not supported`);
      this.checkSignature(req, ecs ? 'ecs' : 'elasticloadbalancing', body);
      if (this.outage) {
        this.calls.push(`outage:${ecs ? (target as string).slice(ECS_TARGET_PREFIX.length) : new URLSearchParams(body).get('Action')}`);
        throw new AwsError(this.outage, 'ServiceUnavailableException', 'Service Unavailable');
      }
      this.advance();
      if (ecs) {
        const operation = (target as string).slice(ECS_TARGET_PREFIX.length);
        this.calls.push(`ecs:${operation}`);
        const answer = this.ecs(operation, body ? (JSON.parse(body) as Record<string, unknown>) : {});
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(answer));
        return;
      }
      const params = new URLSearchParams(body);
      const action = params.get('Action') ?? '';
      if (params.get('Version') !== '2015-12-01') throw new AwsError(400, 'InvalidAction', `Version ${params.get('Version')} is not 2015-12-01`);
      this.calls.push(`elasticloadbalancing:${action}`);
      const result = this.elb(action, params);
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ELB_NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`);
    } catch (error) {
      const e = error instanceof AwsError ? error : new AwsError(500, 'InternalFailure', (error as Error).message);
      if (ecs) {
        res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': e.type });
        res.end(JSON.stringify({ __type: e.type, message: e.message }));
      } else {
        res.writeHead(e.status, { 'content-type': 'text/xml' });
        res.end(`<ErrorResponse xmlns="${ELB_NS}"><Error><Type>Sender</Type><Code>${e.type}</Code><Message>${xml(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
      }
    }
  }

  private checkSignature(req: IncomingMessage, service: string, body: string): void {
    const header = req.headers.authorization;
    if (!header) throw new AwsError(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const match = AUTH.exec(header);
    if (!match) throw new AwsError(400, 'IncompleteSignatureException', 'Authorization header is not a well-formed AWS4-HMAC-SHA256 signature');
    const [, key, date, region, scope, signed, signature] = match;
    const amzDate = req.headers['x-amz-date'];
    if (typeof amzDate !== 'string' || !amzDate.startsWith(date!)) throw new AwsError(400, 'IncompleteSignatureException', 'X-Amz-Date missing or not the date of the credential scope');
    if (region !== this.region || scope !== service) throw new AwsError(403, 'InvalidSignatureException', `Credential should be scoped to a valid region and service (${this.region}/${service}), not ${region}/${scope}`);
    const headers = signed!.split(';');
    if (!headers.includes('host') || !headers.includes('x-amz-date')) throw new AwsError(403, 'InvalidSignatureException', 'SignedHeaders must include host and x-amz-date');
    if (key !== FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID) throw new AwsError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    // SigV4: canonical request -> string to sign -> HMAC chain of the secret over date/region/service.
    const [path, query = ''] = (req.url ?? '/').split('?');
    const canonicalQuery = query ? query.split('&').sort().join('&') : '';
    const canonicalHeaders = headers.map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const canonical = [req.method, path, canonicalQuery, canonicalHeaders, signed, payloadHash].join('\n');
    const scopeText = `${date}/${region}/${scope}/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scopeText, createHash('sha256').update(canonical).digest('hex')].join('\n');
    let signingKey: Buffer = Buffer.from(`AWS4${FAKE_CREDENTIALS.AWS_SECRET_ACCESS_KEY}`);
    for (const part of [date!, region!, scope!, 'aws4_request']) signingKey = createHmac('sha256', signingKey).update(part).digest();
    const expected = createHmac('sha256', signingKey).update(toSign).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) throw new AwsError(403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
  }

  private ecs(operation: string, input: Record<string, any>): unknown {
    switch (operation) {
      case 'CreateCluster':
        this.clusters.add(input.clusterName ?? 'default');
        return { cluster: { clusterArn: this.clusterArn(input.clusterName ?? 'default'), clusterName: input.clusterName ?? 'default', status: 'ACTIVE' } };
      case 'RegisterTaskDefinition':
        return { taskDefinition: this.registerTaskDefinition(input.family, input.containerDefinitions) };
      case 'DeregisterTaskDefinition': {
        const definition = this.findTaskDefinition(input.taskDefinition ?? '');
        if (!definition) throw new AwsError(400, 'ClientException', 'The specified task definition does not exist.');
        definition.status = 'INACTIVE';
        return { taskDefinition: definition };
      }
      case 'DescribeTaskDefinition': {
        const definition = this.findTaskDefinition(input.taskDefinition ?? '');
        if (!definition) throw new AwsError(400, 'ClientException', 'Unable to describe task definition.');
        return { taskDefinition: definition };
      }
      case 'CreateService': {
        const cluster = this.clusterName(input.cluster);
        const definition = this.findTaskDefinition(input.taskDefinition ?? '');
        if (!definition) throw new AwsError(400, 'ClientException', 'TaskDefinition not found.');
        const attached = (input.loadBalancers as { targetGroupArn?: string }[] | undefined)?.[0]?.targetGroupArn ?? null;
        if (attached !== null && !this.targetGroups.has(attached)) throw new AwsError(400, 'InvalidParameterException', `Unable to assume the target group ${attached}: not found`);
        const service = this.createService(cluster, input.serviceName, definition.taskDefinitionArn, input.desiredCount ?? 1, input.deploymentConfiguration?.deploymentCircuitBreaker?.enable === true, attached);
        Object.assign(service.deployments[0]!, { runningCount: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment in progress.' });
        service.lastCompleted = null;
        return { service: this.serviceJson(service) };
      }
      case 'ListServices': {
        const cluster = this.clusterName(input.cluster);
        return { serviceArns: [...this.services.values()].filter((s) => s.clusterArn === this.clusterArn(cluster)).map((s) => s.serviceArn) };
      }
      case 'DescribeServices': {
        const cluster = this.clusterName(input.cluster);
        const services: unknown[] = [];
        const failures: unknown[] = [];
        for (const name of (input.services ?? []) as string[]) {
          const service = this.services.get(`${cluster}/${name.split('/').pop()}`);
          if (service) services.push(this.serviceJson(service));
          else failures.push({ arn: `arn:aws:ecs:${this.region}:${ACCOUNT}:service/${cluster}/${name}`, reason: 'MISSING' });
        }
        return { services, failures };
      }
      case 'UpdateService': {
        const cluster = this.clusterName(input.cluster);
        const service = this.services.get(`${cluster}/${String(input.service).split('/').pop()}`);
        if (!service) throw new AwsError(400, 'ServiceNotFoundException', 'Service not found.');
        if (service.status !== 'ACTIVE') throw new AwsError(400, 'ServiceNotActiveException', 'Service was not ACTIVE.');
        const now = Date.now() / 1000;
        if (typeof input.desiredCount === 'number') {
          service.desiredCount = input.desiredCount;
          service.deployments[0]!.desiredCount = input.desiredCount;
        }
        if (input.taskDefinition) {
          const definition = this.findTaskDefinition(input.taskDefinition);
          if (!definition) throw new AwsError(400, 'ClientException', 'TaskDefinition not found.');
          if (definition.status !== 'ACTIVE') throw new AwsError(400, 'ClientException', `TaskDefinition is inactive`);
          if (definition.taskDefinitionArn !== service.deployments[0]!.taskDefinition || input.forceNewDeployment) {
            for (const d of service.deployments) d.status = 'ACTIVE';
            service.deployments.unshift({ id: this.deploymentId(), status: 'PRIMARY', taskDefinition: definition.taskDefinitionArn, desiredCount: service.desiredCount, runningCount: 0, pendingCount: 0, failedTasks: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment in progress.', createdAt: now, updatedAt: now });
            service.taskDefinition = definition.taskDefinitionArn;
          }
        }
        return { service: this.serviceJson(service) };
      }
      default:
        throw new AwsError(400, 'UnknownOperationException', `${operation} is not implemented by this fake`);
    }
  }

  private serviceJson(service: FakeService): unknown {
    const running = service.deployments.reduce((sum, d) => sum + d.runningCount, 0);
    return {
      serviceArn: service.serviceArn,
      serviceName: service.serviceName,
      clusterArn: service.clusterArn,
      status: service.status,
      desiredCount: service.desiredCount,
      runningCount: running,
      pendingCount: 0,
      launchType: 'FARGATE',
      taskDefinition: service.taskDefinition,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: service.circuitBreaker, rollback: service.circuitBreaker }, maximumPercent: 200, minimumHealthyPercent: 100 },
      deployments: service.deployments.map((d) => ({ ...d })),
      events: service.events.slice(0, 10),
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      loadBalancers: service.targetGroupArn ? [{ targetGroupArn: service.targetGroupArn, containerName: this.findTaskDefinition(service.taskDefinition)!.containerDefinitions[0]!.name, containerPort: this.targetGroups.get(service.targetGroupArn)!.port }] : [],
    };
  }

  private elb(action: string, params: URLSearchParams): string {
    const members = (prefix: string) => [...params.entries()].filter(([k]) => new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.member\\.\\d+$`).test(k)).map(([, v]) => v);
    switch (action) {
      case 'DescribeListeners': {
        const arns = members('ListenerArns');
        const lb = params.get('LoadBalancerArn');
        const found = [...this.listeners.values()].filter((l) => (arns.length ? arns.includes(l.arn) : !lb || l.loadBalancerArn === lb));
        if (arns.length && found.length < arns.length) throw new AwsError(400, 'ListenerNotFound', 'One or more listeners not found');
        return `<Listeners>${found.map((l) => `<member>${this.listenerXml(l)}</member>`).join('')}</Listeners>`;
      }
      case 'ModifyListener': {
        const listener = this.listeners.get(params.get('ListenerArn') ?? '');
        if (!listener) throw new AwsError(400, 'ListenerNotFound', 'One or more listeners not found');
        const type = params.get('DefaultActions.member.1.Type');
        if (type) {
          if (type !== 'forward') throw new AwsError(400, 'ValidationError', 'only forward actions are modelled');
          const single = params.get('DefaultActions.member.1.TargetGroupArn');
          const weighted: { arn: string; weight: number }[] = [];
          for (let i = 1; params.has(`DefaultActions.member.1.ForwardConfig.TargetGroups.member.${i}.TargetGroupArn`); i++) {
            weighted.push({ arn: params.get(`DefaultActions.member.1.ForwardConfig.TargetGroups.member.${i}.TargetGroupArn`)!, weight: Number(params.get(`DefaultActions.member.1.ForwardConfig.TargetGroups.member.${i}.Weight`) ?? '1') });
          }
          const forward = single ? [{ arn: single, weight: 1 }] : weighted;
          if (forward.length === 0) throw new AwsError(400, 'ValidationError', 'A forward action needs a target group');
          for (const f of forward) if (!this.targetGroups.has(f.arn)) throw new AwsError(400, 'TargetGroupNotFound', `Target group '${f.arn}' not found`);
          listener.forward = forward;
        }
        return `<Listeners><member>${this.listenerXml(listener)}</member></Listeners>`;
      }
      case 'DescribeTargetGroups': {
        const arns = members('TargetGroupArns');
        const names = members('Names');
        const found = [...this.targetGroups.values()].filter((g) => (!arns.length || arns.includes(g.arn)) && (!names.length || names.includes(g.name)));
        if ((arns.length || names.length) && found.length === 0) throw new AwsError(400, 'TargetGroupNotFound', 'One or more target groups not found');
        return `<TargetGroups>${found.map((g) => `<member><TargetGroupArn>${g.arn}</TargetGroupArn><TargetGroupName>${g.name}</TargetGroupName><Protocol>HTTP</Protocol><Port>${g.port}</Port><TargetType>ip</TargetType><LoadBalancerArns>${[...this.listeners.values()].filter((l) => l.forward.some((f) => f.arn === g.arn)).map((l) => `<member>${l.loadBalancerArn}</member>`).join('')}</LoadBalancerArns></member>`).join('')}</TargetGroups>`;
      }
      case 'DescribeTargetHealth': {
        const group = this.targetGroups.get(params.get('TargetGroupArn') ?? '');
        if (!group) throw new AwsError(400, 'TargetGroupNotFound', `Target group '${params.get('TargetGroupArn')}' not found`);
        return `<TargetHealthDescriptions>${this.targetsOf(group).map((t) => `<member><Target><Id>${t.id}</Id><Port>${t.port}</Port></Target><HealthCheckPort>${t.port}</HealthCheckPort><TargetHealth><State>${t.state}</State></TargetHealth></member>`).join('')}</TargetHealthDescriptions>`;
      }
      default:
        throw new AwsError(400, 'InvalidAction', `${action} is not implemented by this fake`);
    }
  }

  private listenerXml(l: FakeListener): string {
    const forward = l.forward.length === 1
      ? `<TargetGroupArn>${l.forward[0]!.arn}</TargetGroupArn>`
      : '';
    const groups = l.forward.map((f) => `<member><TargetGroupArn>${f.arn}</TargetGroupArn><Weight>${f.weight}</Weight></member>`).join('');
    return `<ListenerArn>${l.arn}</ListenerArn><LoadBalancerArn>${l.loadBalancerArn}</LoadBalancerArn><Port>${l.port}</Port><Protocol>${l.protocol}</Protocol><DefaultActions><member><Type>forward</Type>${forward}<ForwardConfig><TargetGroups>${groups}</TargetGroups></ForwardConfig></member></DefaultActions>`;
  }
}

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
