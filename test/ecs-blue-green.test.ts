import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { FAKE_CREDENTIALS, FakeAws, type FakeListener, type FakeTargetGroup } from './support/fake-aws.js';
import { runCli, type CliResult } from './support/sandbox.js';

const DIGEST = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const CREDENTIALS = { ...FAKE_CREDENTIALS, AWS_PROFILE: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };

/**
 * Issue 16 §3, ALB blue-green on ECS, through the built CLI against the fake AWS (ECS JSON and ELBv2
 * query protocols, SigV4 checked; the real SDK clients in rewind). Two services, web-blue and
 * web-green, each registering its running tasks in its own target group behind one listener. A
 * deploy rolls the idle service (UpdateService, wait) and switches the listener after
 * DescribeTargetHealth; the other service keeps running the previous revision, so a rollback is one
 * ModifyListener and no UpdateService. A release whose tasks run but fail the target group's health
 * check never gets traffic. A real ECS service and ALB were not exercised.
 */
describe('ECS blue-green through an ALB listener (fake AWS, built CLI)', () => {
  let fake: FakeAws;
  let root: string;
  let config: string;
  let ledger: Ledger;
  let blue: FakeTargetGroup;
  let green: FakeTargetGroup;
  let listener: FakeListener;
  let port: number;
  const cli = (args: string[]): Promise<CliResult> => runCli([...args, '--config', config], 60_000, CREDENTIALS);
  const revisions = (service: string) => fake.service('prod', service).deployments.map((d) => `${d.status}:${d.taskDefinition.split('/').pop()}:${d.rolloutState}`);
  const forward = () => listener.forward.filter((f) => f.weight > 0).map((f) => (f.arn === blue.arn ? 'blue' : f.arn === green.arn ? 'green' : f.arn));
  /** What a request through the listener's data plane reaches: the service and revision of the task that answered. */
  const reached = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { service: string; taskDefinition: string };
    return `${body.service} ${body.taskDefinition.split('/').pop()}`;
  };

  beforeAll(async () => {
    fake = await FakeAws.start({ tickMs: 20, unhealthyTargets: ['web-unhealthy'] });
    fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web@${DIGEST(0)}` }]); // shop:1, what ran before rewind
    fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web@${DIGEST(1)}` }]); // shop:2 -> 1.0.0
    fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web@${DIGEST(2)}` }]); // shop:3 -> 1.1.0
    fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web-unhealthy@${DIGEST(3)}` }]); // shop:4 -> 1.2.0: runs, fails the ALB check
    blue = fake.addTargetGroup('shop-blue', 8080, []);
    green = fake.addTargetGroup('shop-green', 8080, []);
    fake.createService('prod', 'web-blue', 'shop:1', 2, true, blue.arn);
    fake.createService('prod', 'web-green', 'shop:1', 2, true, green.arn);
    listener = fake.addListener(80, blue.arn);
    port = await fake.serveListener(listener);
    root = await mkdtemp(join(tmpdir(), 'ecs-bg-cli-'));
    config = join(root, 'rewind.yaml');
    await writeFile(
      config,
      `ledger: ./rewind.db
log:
  file: ./events.log
environments:
  production:
    target:
      type: ecs
      cluster: prod
      slots:
        blue: { service: web-blue }
        green: { service: web-green }
      region: ${fake.region}
      endpoint: ${fake.endpoint}
      pollMs: 20
      stableTimeoutMs: 5000
    health:
      url: http://127.0.0.1:${port}/health
      retries: 1
    traffic:
      strategy: blue-green
      router:
        type: alb
        listenerArn: ${listener.arn}
        blueTargetGroupArn: ${blue.arn}
        greenTargetGroupArn: ${green.arn}
        region: ${fake.region}
        endpoint: ${fake.endpoint}
`,
    );
    ledger = await openLedger(join(root, 'rewind.db'));
  });
  afterAll(async () => {
    await ledger?.close();
    await fake?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('deploys 1.0.0 on blue, then 1.1.0 on the idle green service and switches the listener; blue keeps running 1.0.0', async () => {
    for (const [version, rev] of [['1.0.0', 2], ['1.1.0', 3], ['1.2.0', 4]] as const) {
      const registered = await cli(['release', 'register', 'production', version, '--task-definition', `shop:${rev}`, '--ci', 'passed']);
      expect(registered.code, registered.stderr).toBe(0);
    }
    const first = await cli(['deploy', 'production', '1.0.0', '--json']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(revisions('web-blue')).toEqual(['PRIMARY:shop:2:COMPLETED']);
    expect(revisions('web-green')).toEqual(['PRIMARY:shop:1:COMPLETED']);
    expect(forward()).toEqual(['blue']);
    expect(await reached()).toBe('web-blue shop:2');

    const plan = await cli(['deploy', 'production', '1.1.0', '--dry-run', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = JSON.parse(plan.stdout) as { plan: { steps: { id: string; params: Record<string, unknown>; effects: string[] }[]; notes: string[] } };
    const ids = planned.plan.steps.map((s) => s.id);
    // No probe of the slot on an address of its own (it has none): the router's target health check is the gate.
    expect(ids).toEqual(expect.arrayContaining(['start-slot', 'switch-traffic', 'health']));
    expect(ids).not.toContain('slot-health');
    expect(planned.plan.steps.find((s) => s.id === 'start-slot')!.params.slot).toEqual({ name: 'green' });
    expect(planned.plan.notes.join('\n')).toContain('slot green has no address of its own to probe: alb checks that every target of its target group is healthy before it switches');

    const before = fake.calls.length;
    const second = await cli(['deploy', 'production', '1.1.0', '--json']);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const calls = fake.calls.slice(before);
    // UpdateService of the idle service only, DescribeTargetHealth before the ModifyListener.
    expect(calls.filter((c) => c === 'ecs:UpdateService')).toHaveLength(1);
    expect(calls.indexOf('elasticloadbalancing:DescribeTargetHealth')).toBeGreaterThan(calls.lastIndexOf('ecs:UpdateService'));
    expect(calls.indexOf('elasticloadbalancing:ModifyListener')).toBeGreaterThan(calls.indexOf('elasticloadbalancing:DescribeTargetHealth'));
    expect(revisions('web-green')).toEqual(['PRIMARY:shop:3:COMPLETED']);
    expect(revisions('web-blue')).toEqual(['PRIMARY:shop:2:COMPLETED']);
    expect(forward()).toEqual(['green']);
    expect(await reached()).toBe('web-green shop:3');
    expect((await ledger.getEnvironment('production'))?.currentVersion).toBe('1.1.0');
    expect((await ledger.getRelease('production', '1.1.0'))?.state).toBe('good');
  });

  it('rolls back to 1.0.0 with one ModifyListener and no UpdateService; the data plane reaches the LKG', async () => {
    const dry = await cli(['rollback', 'production', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).plan.notes.join('\n')).toContain('1.0.0 is warm on slot blue: the rollback is a traffic switch, not a boot');

    const before = fake.calls.length;
    const back = await cli(['rollback', 'production', '--yes', '--json']);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    const calls = fake.calls.slice(before);
    expect(calls.filter((c) => c === 'ecs:UpdateService')).toEqual([]);
    expect(calls.filter((c) => c === 'elasticloadbalancing:ModifyListener')).toHaveLength(1);
    expect(forward()).toEqual(['blue']);
    for (let i = 0; i < 4; i++) expect(await reached()).toBe('web-blue shop:2');
    // 1.1.0 still runs on green: the rollback touched no service.
    expect(revisions('web-green')).toEqual(['PRIMARY:shop:3:COMPLETED']);
    expect((await ledger.getEnvironment('production'))?.currentVersion).toBe('1.0.0');
    expect((await ledger.getRelease('production', '1.1.0'))?.state).toBe('rolled-back');

    const status = await cli(['status', 'production', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).agreement).toMatchObject({ agree: true });
    expect(JSON.parse(status.stdout).slots).toEqual([
      { name: 'blue', version: '1.0.0', online: true, trafficPercent: 100 },
      { name: 'green', version: '1.1.0', online: true, trafficPercent: 0 },
    ]);
    expect((await cli(['status', 'production'])).stdout).toMatch(/slot blue\s+1\.0\.0 on its own service, running, 100 % of traffic/);
  });

  it('a release whose tasks run but fail the target group health check is refused before the switch', async () => {
    const listenerBefore = structuredClone(listener.forward);
    const updatesBefore = fake.calls.filter((c) => c === 'ecs:UpdateService').length;
    const result = await cli(['deploy', 'production', '1.2.0', '--json']);
    expect(result.code, result.stdout).not.toBe(0);
    // ECS calls green stable on shop:4; the ALB does not: the listener was never modified to it.
    expect(revisions('web-green')).toEqual(['PRIMARY:shop:4:COMPLETED']);
    expect(fake.targetsOf(green).map((t) => t.state)).toEqual(['unhealthy', 'unhealthy']);
    expect(listener.forward).toEqual(listenerBefore);
    expect(await reached()).toBe('web-blue shop:2');
    const deploy = (await ledger.listOperations('production', { limit: 5 })).find((o) => o.kind === 'deploy' && o.toVersion === '1.2.0')!;
    expect(deploy.error).toMatch(/target group .*shop-green.* is not ready for traffic: .*unhealthy/);
    const steps = (await ledger.listSteps(deploy.id)).map((s) => `${s.stepId}:${s.state}`);
    expect(steps.slice(-2)).toEqual(['start-slot:succeeded', 'switch-traffic:failed']);
    // The deploy's own rollback: traffic stays on (is sent to) blue, where 1.0.0 runs; no service is rolled back.
    expect((await ledger.listOperations('production', { limit: 1 }))[0]).toMatchObject({ kind: 'rollback', fromVersion: '1.2.0', toVersion: '1.0.0', state: 'succeeded', parentId: deploy.id });
    expect((await ledger.getEnvironment('production'))?.currentVersion).toBe('1.0.0');
    expect((await ledger.getRelease('production', '1.2.0'))?.state).toBe('failed');
    // One UpdateService: green to 1.2.0; the rollback after it touched no service.
    expect(fake.calls.filter((c) => c === 'ecs:UpdateService').length - updatesBefore).toBe(1);
  });

  it('refuses ecs slots behind a router that forwards to addresses, and a canary on them, before anything changes', async () => {
    const bad = join(root, 'bad.yaml');
    const text = (router: string, strategy = 'blue-green') =>
      `ledger: ./rewind.db\nenvironments:\n  production:\n    target: { type: ecs, cluster: prod, region: ${fake.region}, slots: { blue: { service: a }, green: { service: b } } }\n    traffic:\n      strategy: ${strategy}\n      router: ${router}\n${strategy === 'canary' ? '    watch: { source: { type: http-probe, url: http://127.0.0.1:1/ } }\n' : ''}`;
    const cases: [string, RegExp][] = [
      [text('{ type: haproxy, socket: /run/haproxy.sock, backend: app }'), /ecs slots .* need traffic\.router\.type alb/],
      [text(`{ type: alb, listenerArn: ${listener.arn}, blueTargetGroupArn: ${blue.arn}, greenTargetGroupArn: ${green.arn}, region: ${fake.region} }`, 'canary'), /a canary measures each slot on its own address/],
      [`ledger: ./rewind.db\nenvironments:\n  production:\n    target: { type: ecs, cluster: prod, region: ${fake.region}, service: web, slots: { blue: { service: a }, green: { service: b } } }\n`, /either service .* or slots/],
    ];
    const before = fake.calls.length;
    for (const [yaml, message] of cases) {
      await writeFile(bad, yaml);
      const result = await runCli(['deploy', 'production', '1.0.0', '--config', bad], 60_000, CREDENTIALS);
      expect(result.code, yaml).not.toBe(0);
      expect(result.stderr, yaml).toMatch(/REWIND_E_CONFIG_INVALID/);
      expect(result.stderr, yaml).toMatch(message);
    }
    expect(fake.calls.length).toBe(before);
  });
});
