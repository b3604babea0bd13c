import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CREDENTIALS, FakeAws } from '../support/fake-aws.js';

const run = promisify(execFile);
// Debian's awscli; a pyenv shim of the same name may come first on PATH.
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
const DIGEST = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

/**
 * The fake of test/support/fake-aws.ts checked with the real aws CLI (Debian's awscli 2.x, its own
 * botocore signing and parsing): ecs update-service, ecs wait services-stable (succeeding on a
 * healthy rollout AND on a settled circuit-breaker rollback, the trap the ecs target avoids by
 * checking the PRIMARY revision), elbv2 modify-listener and describe-target-health.
 */
describe('fake AWS (ECS JSON, ELBv2 query/XML) against the real aws CLI', () => {
  let fake: FakeAws;
  let home: string;
  const aws = async (args: string[], secret = FAKE_CREDENTIALS.AWS_SECRET_ACCESS_KEY) => {
    const { stdout } = await run(AWS, [...args, '--endpoint-url', fake.endpoint, '--output', 'json'], {
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: home, AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: 'eu-west-1', AWS_PAGER: '', AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials') },
    });
    return stdout.trim() ? (JSON.parse(stdout) as any) : null;
  };

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'awscli-'));
    fake = await FakeAws.start({ neverStable: ['broken'] });
    const good1 = fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web@${DIGEST(1)}` }]);
    fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web@${DIGEST(2)}` }]);
    fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web-broken@${DIGEST(3)}` }]);
    fake.createService('prod', 'web', good1.taskDefinitionArn, 2);
  });
  afterAll(async () => {
    await fake?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('update-service to a healthy revision, then wait services-stable succeeds on it', async () => {
    const updated = await aws(['ecs', 'update-service', '--cluster', 'prod', '--service', 'web', '--task-definition', 'shop:2']);
    expect(updated.service.deployments[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinition: expect.stringMatching(/task-definition\/shop:2$/) });
    expect(updated.service.deployments).toHaveLength(2);
    expect(await aws(['ecs', 'wait', 'services-stable', '--cluster', 'prod', '--services', 'web'])).toBeNull();
    const described = await aws(['ecs', 'describe-services', '--cluster', 'prod', '--services', 'web']);
    expect(described.services[0]).toMatchObject({ runningCount: 2, desiredCount: 2, deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: expect.stringMatching(/shop:2$/) }] });
  });

  it('the trap: wait services-stable also succeeds once a circuit breaker rolled a broken revision back', async () => {
    const updated = await aws(['ecs', 'update-service', '--cluster', 'prod', '--service', 'web', '--task-definition', 'shop:3']);
    expect(updated.service.deployments[0].taskDefinition).toMatch(/shop:3$/);
    // Exit 0: one deployment, running = desired. But it is shop:2 again, not what was asked for.
    expect(await aws(['ecs', 'wait', 'services-stable', '--cluster', 'prod', '--services', 'web'])).toBeNull();
    const service = (await aws(['ecs', 'describe-services', '--cluster', 'prod', '--services', 'web'])).services[0];
    expect(service.deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: expect.stringMatching(/shop:2$/) })]);
    expect(service.runningCount).toBe(2);
    expect(service.events.map((e: { message: string }) => e.message).join('\n')).toMatch(/deployment failed: tasks failed to start/);
    expect(fake.service('prod', 'web').taskDefinition).toMatch(/shop:2$/);
  });

  it('a missing service makes wait services-stable fail, as on ECS (failures[].reason MISSING)', async () => {
    await expect(aws(['ecs', 'wait', 'services-stable', '--cluster', 'prod', '--services', 'nope'])).rejects.toThrow(/Waiter ServicesStable failed/);
    await expect(aws(['ecs', 'describe-services', '--cluster', 'nowhere', '--services', 'web'])).rejects.toThrow(/ClusterNotFoundException/);
  });

  it('elbv2 describe-target-health, then modify-listener switches the default forward action', async () => {
    const blue = fake.addTargetGroup('shop-blue', 8080, [{ id: '10.0.0.1', port: 8080, state: 'healthy' }]);
    const green = fake.addTargetGroup('shop-green', 8080, [{ id: '10.0.0.2', port: 8080, state: 'healthy' }, { id: '10.0.0.3', port: 8080, state: 'unhealthy' }]);
    const listener = fake.addListener(80, blue.arn);
    const health = await aws(['elbv2', 'describe-target-health', '--target-group-arn', green.arn]);
    expect(health.TargetHealthDescriptions.map((d: any) => [d.Target.Id, d.TargetHealth.State])).toEqual([['10.0.0.2', 'healthy'], ['10.0.0.3', 'unhealthy']]);
    const modified = await aws(['elbv2', 'modify-listener', '--listener-arn', listener.arn, '--default-actions', `Type=forward,TargetGroupArn=${green.arn}`]);
    expect(modified.Listeners[0].DefaultActions[0]).toMatchObject({ Type: 'forward', TargetGroupArn: green.arn });
    expect(fake.listeners.get(listener.arn)!.forward).toEqual([{ arn: green.arn, weight: 1 }]);
    // Weighted forward (a canary's split) through ForwardConfig.
    await aws(['elbv2', 'modify-listener', '--listener-arn', listener.arn, '--default-actions', JSON.stringify([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue.arn, Weight: 90 }, { TargetGroupArn: green.arn, Weight: 10 }] } }])]);
    const listed = await aws(['elbv2', 'describe-listeners', '--listener-arns', listener.arn]);
    expect(listed.Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups).toEqual([{ TargetGroupArn: blue.arn, Weight: 90 }, { TargetGroupArn: green.arn, Weight: 10 }]);
    await expect(aws(['elbv2', 'modify-listener', '--listener-arn', `${listener.arn}x`, '--default-actions', `Type=forward,TargetGroupArn=${blue.arn}`])).rejects.toThrow(/ListenerNotFound/);
  });

  it('a service created with --load-balancers registers its running tasks in the target group: describe-target-health follows a rollout', async () => {
    const group = fake.addTargetGroup('shop-slot', 8080, []);
    const created = await aws(['ecs', 'create-service', '--cluster', 'prod', '--service-name', 'web-slot', '--task-definition', 'shop:1', '--desired-count', '2', '--load-balancers', `targetGroupArn=${group.arn},containerName=web,containerPort=8080`]);
    expect(created.service.loadBalancers).toEqual([{ targetGroupArn: group.arn, containerName: 'web', containerPort: 8080 }]);
    await aws(['ecs', 'wait', 'services-stable', '--cluster', 'prod', '--services', 'web-slot']);
    const targets = async () => (await aws(['elbv2', 'describe-target-health', '--target-group-arn', group.arn])).TargetHealthDescriptions.map((d: any) => `${d.TargetHealth.State}:${fake.targetsOf(group).find((t) => t.id === d.Target.Id)?.task?.taskDefinition.split('/').pop()}`);
    expect(await targets()).toEqual(['healthy:shop:1', 'healthy:shop:1']);
    await aws(['ecs', 'update-service', '--cluster', 'prod', '--service', 'web-slot', '--task-definition', 'shop:2']);
    await aws(['ecs', 'wait', 'services-stable', '--cluster', 'prod', '--services', 'web-slot']);
    expect(await targets()).toEqual(['healthy:shop:2', 'healthy:shop:2']);
    await expect(aws(['ecs', 'create-service', '--cluster', 'prod', '--service-name', 'web-lost', '--task-definition', 'shop:1', '--load-balancers', `targetGroupArn=${group.arn}x,containerName=web,containerPort=8080`])).rejects.toThrow(/InvalidParameterException/);
  });

  it('every call the CLI made was signed: the fake recomputes SigV4 and refuses a wrong secret or none', async () => {
    await expect(aws(['ecs', 'describe-services', '--cluster', 'prod', '--services', 'web'], 'not-the-secret')).rejects.toThrow(/InvalidSignatureException/);
    const unsigned = await fetch(fake.endpoint, { method: 'POST', headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeServices', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    expect(fake.calls).toContain('ecs:UpdateService');
    expect(fake.calls).toContain('elasticloadbalancing:ModifyListener');
  });
});
