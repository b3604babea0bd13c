import { DescribeListenersCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand, type Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { isRewindError, RewindError } from '../../../errors/rewind-error.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { ActionDescription } from '../../../ports/target.js';
import type { RouterBackends, TrafficRouter, TrafficRouterCapabilities, TrafficWeights } from '../../../ports/traffic-router.js';
import { formatWeights, toPercentages, validateWeights } from '../traffic-weights.js';
import { ALB_ROUTER_TYPE, type AlbRouterConfig } from './alb-config.js';

/**
 * Blue-green and canary through an ALB listener: the default action forwards to the blue target group
 * (stable) and the green one (canary) with weights. Before a target group is given traffic, every
 * target registered in it must be `healthy` (DescribeTargetHealth); the other group is left as it is,
 * so it stays warm and a rollback is only another ModifyListener. Credentials: the SDK's standard chain.
 */
export class AlbRouter implements TrafficRouter {
  readonly type = ALB_ROUTER_TYPE;
  private readonly client: ElasticLoadBalancingV2Client;
  private closed = false;

  constructor(
    private readonly config: AlbRouterConfig,
    readonly backends: RouterBackends,
    readonly capabilities: TrafficRouterCapabilities,
  ) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new ElasticLoadBalancingV2Client({ region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}), maxAttempts: 3 });
  }

  describeSetWeights(weights: TrafficWeights): ActionDescription {
    const w = validateWeights(weights);
    const receiving = this.groups(w).filter((g) => g.weight > 0);
    return {
      summary: `ALB listener ${this.config.listenerArn}: forward ${formatWeights(w)}`,
      commands: [],
      effects: [...receiving.map((g) => `ELBv2 DescribeTargetHealth ${g.arn}: every target healthy`), `ELBv2 ModifyListener ${this.config.listenerArn}: forward to blue ${w.stable} / green ${w.canary}`],
    };
  }

  async setWeights(weights: TrafficWeights): Promise<Outcome> {
    if (this.closed) throw new RewindError('REWIND_E_ROUTER_FAILED', 'the ALB router is closed');
    const w = validateWeights(weights);
    try {
      for (const group of this.groups(w).filter((g) => g.weight > 0)) await this.requireHealthy(group.arn);
      const action: Action = { Type: 'forward', ForwardConfig: { TargetGroups: this.groups(w).map((g) => ({ TargetGroupArn: g.arn, Weight: g.weight })) } };
      const out = await this.call('ModifyListener', () => this.client.send(new ModifyListenerCommand({ ListenerArn: this.config.listenerArn, DefaultActions: [action] })));
      const applied = weightsOf(out.Listeners?.[0]?.DefaultActions, this.config);
      if (applied.stable !== w.stable || applied.canary !== w.canary) throw new RewindError('REWIND_E_ROUTER_FAILED', `ModifyListener answered ${formatWeights(applied)}, not ${formatWeights(w)}`, { listener: this.config.listenerArn });
      return succeeded(`ALB listener forwards ${formatWeights(w)}`, { weights: w });
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
  }

  async currentWeights(): Promise<TrafficWeights> {
    const out = await this.call('DescribeListeners', () => this.client.send(new DescribeListenersCommand({ ListenerArns: [this.config.listenerArn] })));
    return weightsOf(out.Listeners?.[0]?.DefaultActions, this.config);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
  }

  private groups(w: TrafficWeights) {
    return [
      { arn: this.config.blueTargetGroupArn, weight: w.stable },
      { arn: this.config.greenTargetGroupArn, weight: w.canary },
    ];
  }

  private async requireHealthy(arn: string): Promise<void> {
    const out = await this.call('DescribeTargetHealth', () => this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })));
    const targets = out.TargetHealthDescriptions ?? [];
    const unhealthy = targets.filter((t) => t.TargetHealth?.State !== 'healthy').map((t) => `${t.Target?.Id}:${t.Target?.Port} ${t.TargetHealth?.State}`);
    if (targets.length === 0 || unhealthy.length) {
      throw new RewindError('REWIND_E_ROUTER_FAILED', `target group ${arn} is not ready for traffic: ${targets.length === 0 ? 'no target registered' : unhealthy.join(', ')}; the listener was not changed`, { targetGroup: arn, unhealthy });
    }
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const e = error as Error & { $metadata?: { httpStatusCode?: number } };
      throw new RewindError('REWIND_E_ROUTER_FAILED', `ELBv2 ${operation} failed${e.$metadata?.httpStatusCode === undefined ? ' (no answer)' : ''}: ${e.name}: ${e.message}`, { operation, awsError: e.name, listener: this.config.listenerArn }, { cause: e });
    }
  }
}

/** The blue/green split of a listener's forward action, as percentages (0/0: neither group). */
function weightsOf(actions: Action[] | undefined, config: AlbRouterConfig): TrafficWeights {
  const forward = actions?.find((a) => a.Type === 'forward');
  const groups = forward?.ForwardConfig?.TargetGroups?.length ? forward.ForwardConfig.TargetGroups : forward?.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : [];
  const weightOf = (arn: string) => groups.filter((g) => g.TargetGroupArn === arn).reduce((sum, g) => sum + (g.Weight ?? 1), 0);
  return toPercentages(weightOf(config.blueTargetGroupArn), weightOf(config.greenTargetGroupArn));
}
