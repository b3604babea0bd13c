import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, UpdateServiceCommand, type Deployment, type Service, type TaskDefinition } from '@aws-sdk/client-ecs';
import { RewindError } from '../../../errors/rewind-error.js';
import type { EcsServiceConfig } from './ecs-config.js';

/**
 * The three ECS calls the target makes, with the SDK's errors turned into coded ones that name the
 * object. Credentials come from the SDK's standard chain (environment, profile, SSO, instance role);
 * none is ever read or logged here. Retries are the SDK's, bounded to 3 attempts per call.
 */
export class EcsApi {
  private readonly client: ECSClient;

  constructor(private readonly config: Omit<EcsServiceConfig, 'stateDir'>) {
    // The SDK warns on stderr, on every command under Node 20, that its releases after January 2027
    // need Node 22: the locked version works, and rewind's stderr is for the operation. Set the
    // variable to anything else to see it.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new ECSClient({ region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}), maxAttempts: 3 });
  }

  get where(): string {
    return `service ${this.config.service} in cluster ${this.config.cluster} (${this.config.region}${this.config.endpoint ? `, ${this.config.endpoint}` : ''})`;
  }

  async service(): Promise<Service> {
    const out = await this.call('DescribeServices', () => this.client.send(new DescribeServicesCommand({ cluster: this.config.cluster, services: [this.config.service] })));
    const service = out.services?.[0];
    if (!service || service.status === 'INACTIVE') {
      const reason = out.failures?.[0]?.reason ?? service?.status ?? 'MISSING';
      throw new RewindError('REWIND_E_ECS_NOT_FOUND', `ECS ${this.where} not found (${reason})`, { cluster: this.config.cluster, service: this.config.service, reason });
    }
    return service;
  }

  async taskDefinition(reference: string): Promise<TaskDefinition> {
    const out = await this.call('DescribeTaskDefinition', () => this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: reference })), reference);
    if (!out.taskDefinition) throw new RewindError('REWIND_E_ECS_NOT_FOUND', `ECS task definition ${reference} not found`, { taskDefinition: reference });
    return out.taskDefinition;
  }

  async update(input: { taskDefinition?: string; desiredCount?: number }): Promise<Service> {
    const out = await this.call('UpdateService', () => this.client.send(new UpdateServiceCommand({ cluster: this.config.cluster, service: this.config.service, ...input })));
    return out.service!;
  }

  close(): void {
    this.client.destroy();
  }

  private async call<T>(operation: string, send: () => Promise<T>, taskDefinition?: string): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.coded(operation, error as Error & { $metadata?: { httpStatusCode?: number }; name: string }, taskDefinition);
    }
  }

  private coded(operation: string, error: Error & { $metadata?: { httpStatusCode?: number } }, taskDefinition?: string): RewindError {
    const status = error.$metadata?.httpStatusCode;
    const details = { operation, cluster: this.config.cluster, service: this.config.service, ...(taskDefinition ? { taskDefinition } : {}), awsError: error.name, httpStatus: status ?? null };
    // No HTTP answer at all: refused, reset, DNS, timeout.
    if (status === undefined) return new RewindError('REWIND_E_ECS_UNREACHABLE', `ECS ${operation} for ${this.where} got no answer: ${error.message}`, details, { cause: error });
    if (error.name === 'ClusterNotFoundException') return new RewindError('REWIND_E_ECS_NOT_FOUND', `ECS cluster ${this.config.cluster} not found (${this.config.region})`, details, { cause: error });
    if (error.name === 'ServiceNotFoundException' || error.name === 'ServiceNotActiveException') return new RewindError('REWIND_E_ECS_NOT_FOUND', `ECS ${this.where} not found or not active (${error.name})`, details, { cause: error });
    // DescribeTaskDefinition of an unknown revision is a ClientException naming it.
    if (taskDefinition && error.name === 'ClientException') return new RewindError('REWIND_E_ECS_NOT_FOUND', `ECS task definition ${taskDefinition}: ${error.message}`, details, { cause: error });
    return new RewindError('REWIND_E_ECS_API', `ECS ${operation} for ${this.where} failed: ${error.name}: ${error.message}`, details, { cause: error });
  }
}

/** The deployment ECS marks PRIMARY: the one it is rolling to (or, after a circuit breaker rollback, back to). */
export function primaryOf(service: Service): Deployment | undefined {
  return service.deployments?.find((d) => d.status === 'PRIMARY');
}
