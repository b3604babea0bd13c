import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albTrafficRouterSchema } from '../../src/adapters/routers/alb/alb-config.js';
import { AlbRouter } from '../../src/adapters/routers/alb/alb-router.js';
import { DEFAULT_TRAFFIC_ROUTER_CAPABILITIES } from '../../src/ports/traffic-router.js';
import { albRouterDefinition } from '../../src/adapters/routers/alb/alb-definition.js';
import { trafficRouterContract } from '../contracts/traffic-router-contract.js';
import { FAKE_CREDENTIALS, FakeAws, type FakeListener, type FakeTargetGroup } from '../support/fake-aws.js';
import { startBackends, type Backends, type RouterHarness } from '../support/router-traffic.js';

/**
 * The alb router against the fake ELBv2 API (query/XML protocol, SigV4 verified) through the real
 * @aws-sdk/client-elastic-load-balancing-v2; traffic goes through the fake listener's data plane
 * (per-request weighted forwarding). A real ALB was not exercised.
 */
describe('AlbRouter against the fake ELBv2 API', () => {
  let fake: FakeAws;
  let backends: Backends;
  let blue: FakeTargetGroup;
  let green: FakeTargetGroup;
  let listener: FakeListener;
  let harness: RouterHarness;
  const saved = Object.fromEntries(Object.keys(FAKE_CREDENTIALS).map((k) => [k, process.env[k]]));

  beforeAll(async () => {
    Object.assign(process.env, FAKE_CREDENTIALS);
    fake = await FakeAws.start();
    backends = await startBackends();
    blue = fake.addTargetGroup('shop-blue', backends.stable.port, [{ id: backends.stable.host, port: backends.stable.port, state: 'healthy' }]);
    green = fake.addTargetGroup('shop-green', backends.canary.port, [{ id: backends.canary.host, port: backends.canary.port, state: 'healthy' }]);
    listener = fake.addListener(80, blue.arn);
    const port = await fake.serveListener(listener);
    const config = albTrafficRouterSchema.parse({ type: 'alb', listenerArn: listener.arn, blueTargetGroupArn: blue.arn, greenTargetGroupArn: green.arn, region: fake.region, endpoint: fake.endpoint });
    const router = new AlbRouter(config, { stable: { name: 'blue', ...backends.stable }, canary: { name: 'green', ...backends.canary } }, { ...DEFAULT_TRAFFIC_ROUTER_CAPABILITIES, ...albRouterDefinition.capabilities });
    harness = { router, port, label: 'alb (fake)' };
  });
  afterAll(async () => {
    await harness?.router.close();
    await backends?.close();
    await fake?.stop();
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });

  trafficRouterContract({ name: 'alb (fake ELBv2 API, real SDK v3 client)', provider: 'alb', create: async () => harness });

  it('refuses to send traffic to a target group with an unhealthy target, and leaves the listener as it was', async () => {
    expect(await harness.router.setWeights({ stable: 100, canary: 0 })).toMatchObject({ status: 'succeeded' });
    const before = structuredClone(fake.listeners.get(listener.arn)!.forward);
    green.targets[0]!.state = 'unhealthy';
    try {
      const outcome = await harness.router.setWeights({ stable: 0, canary: 100 });
      expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ROUTER_FAILED' });
      expect(outcome.message).toContain(`target group ${green.arn} is not ready for traffic`);
      expect(fake.listeners.get(listener.arn)!.forward).toEqual(before);
      expect(await harness.router.currentWeights()).toEqual({ stable: 100, canary: 0 });
    } finally {
      green.targets[0]!.state = 'healthy';
    }
  });

  it('a switch back is one ModifyListener: the other group was left registered and warm', async () => {
    expect(await harness.router.setWeights({ stable: 0, canary: 100 })).toMatchObject({ status: 'succeeded' });
    const from = fake.calls.length;
    expect(await harness.router.setWeights({ stable: 100, canary: 0 })).toMatchObject({ status: 'succeeded' });
    expect(fake.calls.slice(from)).toEqual(['elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:ModifyListener']);
    expect(green.targets).toEqual([expect.objectContaining({ state: 'healthy' })]);
  });
});
