import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { loadAdapters } from '../src/adapters/registry.js';
import { albTrafficRouterSchema } from '../src/adapters/routers/alb/alb-config.js';
import { albRouterDefinition } from '../src/adapters/routers/alb/alb-definition.js';
import { AlbRouter } from '../src/adapters/routers/alb/alb-router.js';
import { ecsTargetSchema } from '../src/adapters/targets/ecs/ecs-config.js';
import { EcsTarget } from '../src/adapters/targets/ecs/ecs-target.js';
import { inspectArtifact } from '../src/artifacts/artifact-digest.js';
import { ProcessExecutor } from '../src/exec/process-executor.js';
import { DEFAULT_TRAFFIC_ROUTER_CAPABILITIES } from '../src/ports/traffic-router.js';
import { FAKE_CREDENTIALS, FakeAws } from './support/fake-aws.js';
import { FakeKubeApiServer } from './support/fake-kube-apiserver.js';

// docs/targets/ has one page per platform. This holds each page to the code, so the docs cannot
// drift: every example config is run through the real loader and through `rewind config check`,
// and the permissions a page grants (Kubernetes RBAC, IAM actions, sudoers lines, ssh options) are
// derived again from the adapter's source and compared, both ways where the code says it all.

const ROOT = join(import.meta.dirname, '..');
const DIR = join(ROOT, 'docs', 'targets');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const run = promisify(execFile);

/** The pages this file's checks were written for, and the target type each page's configs use. */
const OWN_PAGES: Record<string, string[]> = {
  'releases.md': ['releases'],
  'ssh-fleet.md': ['releases'],
  'compose.md': ['compose'],
  'kubernetes.md': ['kubernetes'],
  'helm.md': ['helm'],
  'ecs.md': ['ecs', 'releases'],
  'vercel.md': ['vercel'],
};
/** Written elsewhere; checked (configs only) once they exist, listed in the index already. */
const LATER_PAGES = ['railway.md'];

const pages = readdirSync(DIR).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();
const page = (name: string) => readFileSync(join(DIR, name), 'utf8');
const source = (...path: string[]) => readFileSync(join(ROOT, 'src', ...path), 'utf8');

function fenced(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}
const configBlocks = (markdown: string) => fenced(markdown, 'yaml').filter((b) => b.startsWith('version:'));
const manifests = (markdown: string) => fenced(markdown, 'yaml').filter((b) => b.startsWith('apiVersion:')).map((b) => parseYaml(b) as KubeObject);

/**
 * A stand-in value for every ${VAR} a block uses (with no default), so interpolation succeeds; and no
 * valid-config stamp written under ~/.cache for these throwaway paths.
 */
function placeholders(block: string): Record<string, string> {
  return { REWIND_CONFIG_CACHE: 'off', ...Object.fromEntries([...block.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => [m[1]!, `docs-test-${m[1]!.toLowerCase()}`])) };
}

interface KubeRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: KubeRule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

describe('docs/targets: one page per platform', () => {
  it('has every page, and the index links each one (and the pages still to come)', () => {
    for (const name of Object.keys(OWN_PAGES)) expect(pages, name).toContain(name);
    const index = readFileSync(join(DIR, 'README.md'), 'utf8');
    for (const name of [...pages, ...LATER_PAGES]) expect(index, name).toContain(`](${name})`);
  });

  it('the README\'s targets table links every page, and docs/config.md points to each', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Targets and what was exercised for real'), readme.indexOf('## Ledger'));
    const config = readFileSync(join(ROOT, 'docs', 'config.md'), 'utf8');
    for (const name of Object.keys(OWN_PAGES)) {
      expect(table, name).toContain(`](docs/targets/${name})`);
      expect(config, name).toContain(`](targets/${name})`);
    }
  });

  it.each(Object.keys(OWN_PAGES))('%s: what a release is, a config, the calls, least privilege, what was exercised', (name) => {
    const text = page(name);
    for (const heading of ['## What a release is', '## Least privilege', '## What was exercised, against what']) expect(text, `${name}: ${heading}`).toContain(heading);
    expect(text, name).toMatch(/^## .*(the calls|the argv|the API calls|the steps), in order$/m);
    // Says what was not exercised, too.
    expect(text, name).toMatch(/Not exercised|not exercised|NOT exercised|\*\*not\*\* exercised/);
  });
});

describe('docs/targets: every example config is valid', () => {
  it.each(pages)('%s: each config block loads with the real config loader and passes `rewind config check`', async (name) => {
    const text = page(name);
    const blocks = configBlocks(text);
    expect(blocks.length, `${name} has no complete config (a yaml block starting with version:)`).toBeGreaterThan(0);
    // On the pages written for this file, every yaml block is either a rewind config or a Kubernetes
    // manifest: nothing half-way is shown as yaml. (Other pages may show other YAML, a CI workflow say.)
    if (OWN_PAGES[name]) for (const block of fenced(text, 'yaml')) expect(block.startsWith('version:') || block.startsWith('apiVersion:'), `${name}: unrecognised yaml block:\n${block}`).toBe(true);
    const types: string[] = [];
    for (const block of blocks) {
      const dir = mkdtempSync(join(tmpdir(), 'rewind-platform-docs-'));
      try {
        const file = join(dir, 'rewind.yaml');
        writeFileSync(file, block);
        const env = placeholders(block);
        const { config } = loadConfig(file, env);
        types.push(...Object.values(config.environments).map((e) => e.target.type));
        const { stdout } = await run(process.execPath, [CLI, 'config', 'check', '--json', '--config', file], { env: { ...process.env, ...env }, cwd: dir });
        const checked = JSON.parse(stdout) as { valid: boolean; environments: { target: string }[] };
        expect(checked.valid, `${name}:\n${block}`).toBe(true);
        expect(checked.environments.map((e) => e.target)).toEqual(Object.values(config.environments).map((e) => e.target.type));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    if (OWN_PAGES[name]) expect([...new Set(types)].sort(), name).toEqual([...OWN_PAGES[name]!].sort());
  });

  it('pages written elsewhere are checked as soon as they exist', () => {
    for (const name of LATER_PAGES) expect(pages.includes(name), name).toBe(existsSync(join(DIR, name)));
  });
});

/** The Kubernetes API calls kube-api.ts makes, as RBAC (group, resource, verb) triples. */
function kubeCallsAsRbac(): Set<string> {
  const text = source('adapters', 'targets', 'kubernetes', 'kube-api.ts');
  // Only these two API groups' clients, and no watch: anything else needs this test (and the page) extended.
  expect([...text.matchAll(/makeApiClient\((\w+)\)/g)].map((m) => m[1]).sort()).toEqual(['AppsV1Api', 'CoreV1Api']);
  expect(text).not.toMatch(/\bWatch\b|\bwatch\s*:/);
  const verbs: Record<string, string> = { read: 'get', list: 'list', patch: 'patch', create: 'create', replace: 'update', delete: 'delete' };
  const groups: Record<string, string> = { apps: 'apps', core: '' };
  const triples = new Set<string>();
  for (const [, client, method] of text.matchAll(/this\.(apps|core)\.(\w+)\(/g)) {
    const m = /^(read|list|patch|create|replace|delete)Namespaced([A-Z]\w*)$/.exec(method!);
    expect(m, `kube-api.ts calls ${client}.${method}: map it to an RBAC verb here and grant it in docs/targets/kubernetes.md`).not.toBeNull();
    triples.add(`${groups[client!]}/${m![2]!.toLowerCase()}s/${verbs[m![1]!]}`);
  }
  return triples;
}

const granted = (rules: KubeRule[]) => new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}/${v}`)))));

describe('docs/targets/kubernetes.md: the Role grants exactly what the target calls', () => {
  const text = page('kubernetes.md');
  const [role, binding] = [manifests(text).find((o) => o.kind === 'Role')!, manifests(text).find((o) => o.kind === 'RoleBinding')!];
  const config = parseYaml(configBlocks(text)[0]!) as { environments: Record<string, { target: { namespace: string; deployments: { name: string }[] } }> };
  const target = Object.values(config.environments)[0]!.target;

  it('every verb the adapter uses is granted, and nothing more', () => {
    const calls = kubeCallsAsRbac();
    expect(calls.size).toBeGreaterThanOrEqual(3);
    expect([...granted(role.rules!)].sort()).toEqual([...calls].sort());
  });

  it('is namespaced to the config\'s namespace, names its Deployments, and the binding refers to it', () => {
    expect(role.apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(role.metadata.namespace).toBe(target.namespace);
    const deploymentRule = role.rules!.find((r) => r.resources.includes('deployments'))!;
    expect(deploymentRule.resourceNames!.sort()).toEqual(target.deployments.map((d) => d.name).sort());
    expect(binding.metadata.namespace).toBe(target.namespace);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  });

  it('allows every request the target really makes, on the page\'s own config, against the fake API server', async () => {
    // register, prepare, deploy, status, stop and start again: every call the Target port has.
    const fake = await FakeKubeApiServer.start();
    const dir = mkdtempSync(join(tmpdir(), 'rewind-platform-docs-kube-'));
    try {
      writeFileSync(join(dir, 'rewind.yaml'), configBlocks(text)[0]!);
      const { config } = loadConfig(join(dir, 'rewind.yaml'), { REWIND_CONFIG_CACHE: 'off' });
      const env = Object.values(config.environments)[0]!;
      if (env.target.type !== 'kubernetes') throw new Error('the first config of kubernetes.md is not a kubernetes target');
      await fake.writeKubeconfig(env.target.kubeconfig!, env.target.context);
      const digest = (v: string) => `sha256:${v.repeat(64).slice(0, 64)}`;
      for (const d of env.target.deployments) fake.createDeployment({ name: d.name, namespace: env.target.namespace, replicas: 2, containers: { [d.containers?.[0] ?? 'main']: `registry.example.com/${d.name}@${digest('0')}` } });
      await fake.settled();
      const target = (await loadAdapters(['target'])).createTarget(env, new ProcessExecutor());
      try {
        const images = Object.fromEntries(env.target.deployments.map((d) => [d.containers ? `${d.name}/${d.containers[0]}` : d.name, `registry.example.com/${d.name}@${digest('1')}`]));
        const artifact = await target.artifactFromImages!(images);
        const release = { version: '1.4.0', artifact, digest: (await inspectArtifact(artifact)).digest };
        expect(await target.prepare(release)).toMatchObject({ status: 'succeeded' });
        expect(await target.activate('1.4.0')).toMatchObject({ status: 'succeeded' });
        expect(await target.activeVersion()).toBe('1.4.0');
        expect((await target.servedVersions!())!.length).toBeGreaterThan(0);
        expect(await target.stop!()).toMatchObject({ status: 'succeeded' });
        expect(await target.activate('1.4.0')).toMatchObject({ status: 'succeeded' });
      } finally {
        await target.close();
      }
      const requests = fake.requests.filter((r) => !r.endsWith('/version'));
      expect(requests.length).toBeGreaterThan(10);
      const verbOf: Record<string, string> = { GET: 'get', PATCH: 'patch', PUT: 'update', POST: 'create', DELETE: 'delete' };
      const used = new Set<string>();
      for (const request of new Set(requests)) {
        const [method, path] = request.split(' ') as [string, string];
        const m = /^\/(?:api\/v1|apis\/([a-z.]+)\/v1)\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(path);
        expect(m, request).not.toBeNull();
        const [, group = '', namespace, resource, name] = m!;
        const verb = method === 'GET' && !name ? 'list' : verbOf[method]!;
        expect(namespace, request).toBe(role.metadata.namespace);
        const allowed = role.rules!.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource!) && r.verbs.includes(verb) && (!r.resourceNames || (name !== undefined && r.resourceNames.includes(name))));
        expect(allowed, `${request} (${group || 'core'}/${resource} ${verb}${name ? ` ${name}` : ''}) is not allowed by the Role in docs/targets/kubernetes.md`).toBe(true);
        used.add(`${group}/${resource}/${verb}`);
      }
      // ...and the Role grants nothing this run did not need.
      expect([...granted(role.rules!)].sort()).toEqual([...used].sort());
    } finally {
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each request the page lists is one the adapter makes', () => {
    for (const [method, request] of [['readNamespacedDeployment', 'GET /apis/apps/v1/namespaces/<ns>/deployments/<name>'], ['patchNamespacedDeployment', 'PATCH …/deployments/<name>'], ['listNamespacedPod', 'GET /api/v1/namespaces/<ns>/pods?labelSelector=']] as const) {
      expect(source('adapters', 'targets', 'kubernetes', 'kube-api.ts')).toContain(method);
      expect(text).toContain(request);
    }
    expect(source('adapters', 'targets', 'kubernetes', 'kube-api.ts')).toContain('PatchStrategy.StrategicMergePatch');
    expect(text).toContain('application/strategic-merge-patch+json');
  });
});

describe('docs/targets/helm.md: the helm commands and the release storage Helm needs', () => {
  const text = page('helm.md');

  it('names every helm subcommand the target builds, and only those', () => {
    const subcommands = [...source('adapters', 'targets', 'helm', 'helm-target.ts').matchAll(/this\.command\(\['([a-z]+)'/g)].map((m) => m[1]!);
    expect(new Set(subcommands)).toEqual(new Set(['upgrade', 'rollback', 'history']));
    for (const sub of subcommands) expect(text, sub).toMatch(new RegExp(`\`helm ${sub}\\b`));
    expect(text).toContain('helm upgrade --install');
    const named = new Set([...text.matchAll(/`helm ([a-z]+)/g)].map((m) => m[1]!));
    // Two are the reader's own commands, not rewind's: `helm template` (listing the chart's kinds) and
    // `helm uninstall` (a first install stuck pending). Any other helm subcommand on the page is a claim to check.
    expect([...named].filter((s) => !subcommands.includes(s)).sort()).toEqual(['template', 'uninstall']);
  });

  it('the Role covers Helm\'s release Secrets and what --wait reads', () => {
    const role = manifests(text).find((o) => o.kind === 'Role')!;
    const rules = granted(role.rules!);
    for (const verb of ['get', 'list', 'create', 'update', 'delete']) expect(rules.has(`/secrets/${verb}`), verb).toBe(true);
    for (const triple of ['/pods/list', 'apps/replicasets/list', 'apps/deployments/patch']) expect(rules.has(triple), triple).toBe(true);
    const config = parseYaml(configBlocks(text)[0]!) as { environments: Record<string, { target: { namespace: string } }> };
    expect(role.metadata.namespace).toBe(Object.values(config.environments)[0]!.target.namespace);
  });
});

describe('docs/targets/ecs.md: the IAM policy grants exactly the actions the target and the router call', () => {
  const text = page('ecs.md');
  const [policyText] = fenced(text, 'json');
  const policy = JSON.parse(policyText!) as { Version: string; Statement: { Effect: string; Action: string[]; Resource: string | string[] }[] };
  const sdkActions = (prefix: string, ...path: string[]) => [...source(...path).matchAll(/new (\w+)Command\(/g)].map((m) => `${prefix}:${m[1]}`);
  const configs = configBlocks(text).map((b) => parseYaml(b) as { environments: Record<string, { target: Record<string, string>; traffic?: { router: Record<string, string> } }> });
  const ecsTarget = configs.map((c) => Object.values(c.environments)[0]!.target).find((t) => t.type === 'ecs')!;
  const router = configs.map((c) => Object.values(c.environments)[0]!.traffic?.router).find((r) => r?.type === 'alb')!;
  const statementsWith = (action: string) => policy.Statement.filter((s) => s.Action.includes(action));

  it('every SDK command in ecs-api.ts and alb-router.ts is granted, and no other action', () => {
    const calls = [...sdkActions('ecs', 'adapters', 'targets', 'ecs', 'ecs-api.ts'), ...sdkActions('elasticloadbalancing', 'adapters', 'routers', 'alb', 'alb-router.ts')];
    expect(calls.length).toBeGreaterThanOrEqual(6);
    expect(policy.Version).toBe('2012-10-17');
    const actions = policy.Statement.flatMap((s) => s.Action);
    // iam:PassRole is no call of rewind's: AWS checks it when UpdateService passes the revision's roles.
    expect(actions.filter((a) => a !== 'iam:PassRole').sort()).toEqual([...new Set(calls)].sort());
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('scopes what IAM can scope: the service, the listener, the roles', () => {
    const serviceArn = `arn:aws:ecs:${ecsTarget.region}:123456789012:service/${ecsTarget.cluster}/${ecsTarget.service}`;
    for (const action of ['ecs:DescribeServices', 'ecs:UpdateService']) expect(statementsWith(action).map((s) => s.Resource), action).toEqual([serviceArn]);
    expect(statementsWith('elasticloadbalancing:ModifyListener').map((s) => s.Resource)).toEqual([router.listenerArn]);
    for (const s of statementsWith('iam:PassRole')) expect(s.Resource).not.toBe('*');
    // Only the actions without resource-level permissions get "*".
    const wildcard = policy.Statement.filter((s) => s.Resource === '*').flatMap((s) => s.Action).sort();
    expect(wildcard).toEqual(['ecs:DescribeTaskDefinition', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth']);
  });

  it('covers every call the target and the router really make against the fake AWS API, and each action granted is one of them', async () => {
    const saved = Object.fromEntries(Object.keys(FAKE_CREDENTIALS).map((k) => [k, process.env[k]]));
    Object.assign(process.env, FAKE_CREDENTIALS);
    const fake = await FakeAws.start({ region: ecsTarget.region, tickMs: 20 });
    const dir = mkdtempSync(join(tmpdir(), 'rewind-platform-docs-ecs-'));
    try {
      const image = (v: string) => `registry.example.com/shop-web@sha256:${v.repeat(64).slice(0, 64)}`;
      const first = fake.registerTaskDefinition(ecsTarget.service!, [{ name: 'web', image: image('0') }]);
      fake.createService(ecsTarget.cluster!, ecsTarget.service!, `${first.family}:${first.revision}`, 2);
      const next = fake.registerTaskDefinition(ecsTarget.service!, [{ name: 'web', image: image('1') }]);
      // The page's target, pointed at the fake and polling it quickly.
      const config = ecsTargetSchema.parse({ ...ecsTarget, endpoint: fake.endpoint, pollMs: 20, stableTimeoutMs: 10_000 });
      const target = new EcsTarget({ ...config, stateDir: join(dir, 'state') });
      try {
        const artifact = await target.artifactFromTaskDefinition(`${next.family}:${next.revision}`);
        const release = { version: '1.4.0', artifact, digest: (await inspectArtifact(artifact)).digest };
        expect(await target.prepare(release)).toMatchObject({ status: 'succeeded' });
        expect(await target.activate('1.4.0')).toMatchObject({ status: 'succeeded' });
        expect(await target.activeVersion()).toBe('1.4.0');
        await target.servedVersions();
        expect(await target.stop()).toMatchObject({ status: 'succeeded' });
      } finally {
        await target.close();
      }
      const blue = fake.addTargetGroup('shop-blue', 3001, [{ id: '10.0.1.17', port: 3001, state: 'healthy' }]);
      const green = fake.addTargetGroup('shop-green', 3002, [{ id: '10.0.1.17', port: 3002, state: 'healthy' }]);
      const listener = fake.addListener(80, blue.arn);
      const routerConfig = albTrafficRouterSchema.parse({ ...router, listenerArn: listener.arn, blueTargetGroupArn: blue.arn, greenTargetGroupArn: green.arn, endpoint: fake.endpoint });
      const alb = new AlbRouter(routerConfig, { stable: { name: 'blue', host: '10.0.1.17', port: 3001 }, canary: { name: 'green', host: '10.0.1.17', port: 3002 } }, { ...DEFAULT_TRAFFIC_ROUTER_CAPABILITIES, ...albRouterDefinition.capabilities });
      try {
        expect(await alb.setWeights({ stable: 0, canary: 100 })).toMatchObject({ status: 'succeeded' });
        expect(await alb.currentWeights()).toEqual({ stable: 0, canary: 100 });
      } finally {
        await alb.close();
      }
      const called = [...new Set(fake.calls)].sort();
      const actions = [...new Set(policy.Statement.flatMap((s) => s.Action))].filter((a) => a !== 'iam:PassRole').sort();
      expect(called).toEqual(actions);
    } finally {
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('the page names each call the code makes', () => {
    for (const action of policy.Statement.flatMap((s) => s.Action).filter((a) => a !== 'iam:PassRole')) expect(text, action).toContain(`\`${action.split(':')[1]}\``);
  });
});

describe('docs/targets/compose.md: every docker and compose call the target makes is on the page', () => {
  const text = page('compose.md');
  const files = ['compose-commands.ts', 'compose-target.ts', 'container-reads.ts', 'resolve-images.ts'].map((f) => source('adapters', 'targets', 'compose', f)).join('\n');

  it('docker subcommands (pull, image inspect, inspect, ps, exec, image rm, info, compose version)', () => {
    // `docker(['a', 'b'` / `run(['a', 'b'` in the target, and the argv builders in compose-commands.ts.
    const calls = new Set<string>();
    for (const [, first, second] of files.matchAll(/(?:docker|run)\(\[\s*'([a-z]+)'(?:,\s*'([a-z]+)')?/g)) calls.add(first === 'image' ? `docker image ${second}` : `docker ${first}`);
    for (const [, first] of files.matchAll(/return \['([a-z]+)', \.\.\.\(options\.all/g)) calls.add(`docker ${first}`);
    for (const [, first] of files.matchAll(/\[docker, '([a-z]+)', '([a-z]+)'\]/g)) calls.add(`docker ${first}`);
    expect(calls.size).toBeGreaterThanOrEqual(6);
    for (const call of calls) expect(text, call).toContain(call);
  });

  it('Engine API requests (method and path, ids as {id})', () => {
    const reads = source('adapters', 'targets', 'compose', 'container-reads.ts');
    const calls = new Set<string>();
    for (const [, method, path] of [...reads.matchAll(/(?:request\('(GET|POST)', |(get)\()[`']([^`'?]+)/g)].map((m) => [m[0], m[1] ?? 'GET', m[3]!] as const)) {
      calls.add(`${method} ${path!.replace(/\$\{[^}]*\}/g, '{id}')}`);
    }
    expect([...calls].sort()).toEqual(['GET /containers/json', 'GET /containers/{id}/json', 'GET /exec/{id}/json', 'GET /images/{id}/json', 'GET /info', 'POST /containers/{id}/exec', 'POST /exec/{id}/start']);
    for (const call of calls) expect(text, call).toContain(`\`${call}\``);
  });

  it('compose subcommands (config --services, up -d --no-deps, stop)', () => {
    const calls = [...files.matchAll(/composeCommand\((?:\{[^}]*\}|\w+), \['([a-z]+)'(?:, '(-[-a-z]+)')?(?:, '(--[a-z-]+)')?/g)].map((m) => m.slice(1).filter(Boolean).join(' '));
    expect(calls.sort()).toEqual(['config --services', 'stop', 'up -d --no-deps']);
    for (const call of calls) expect(text, call).toContain(`<compose> ${call}`);
  });

  it('says the Docker socket is root-equivalent and how registry credentials are used', () => {
    expect(text).toMatch(/Docker socket is root/);
    expect(text).toMatch(/pull-only/);
  });
});

/** argv of the runtime's start/reload/stop that run under `sudo -n`, joined as sudoers names them. */
function sudoCommands(block: string): string[] {
  const env = Object.values((parseYaml(block) as { environments: Record<string, { target: { runtime: Record<string, unknown> } }> }).environments)[0]!;
  return ['start', 'reload', 'stop', 'status']
    .map((key) => env.target.runtime[key] as string[] | undefined)
    .filter((argv): argv is string[] => !!argv && argv[0] === 'sudo')
    .map((argv) => {
      expect(argv[1], 'sudo without -n would wait for a password').toBe('-n');
      return argv.slice(2).join(' ');
    });
}

describe.each([
  ['ssh-fleet.md', 0],
  ['releases.md', 1],
])('%s: the sudoers line grants exactly the commands the runtime runs with sudo', (name, blockIndex) => {
  it('matches the config', () => {
    const text = page(name);
    const commands = sudoCommands(configBlocks(text)[blockIndex]!);
    expect(commands.length).toBe(3);
    const line = fenced(text, 'text').find((b) => b.includes('NOPASSWD:'))!.trim();
    expect(line.split('NOPASSWD:')[1]!.split(',').map((c) => c.trim()).sort()).toEqual([...commands].sort());
  });
});

describe('docs/targets/ssh-fleet.md: the ssh options and the programs the hosts need', () => {
  const text = page('ssh-fleet.md');

  it('every -o option the connection sets is on the page', () => {
    const options = [...source('adapters', 'targets', 'ssh-fleet', 'ssh-connection.ts').matchAll(/o\(`?'?([A-Za-z]+)=/g)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThanOrEqual(12);
    for (const option of new Set(options)) expect(text, option).toContain(`-o ${option}=`);
  });

  it('every program the remote scripts need is named', () => {
    const needs = /Needs ([^:]+):/.exec(source('adapters', 'targets', 'ssh-fleet', 'remote-scripts.ts'))![1]!.split(',').map((s) => s.trim().replace(/^the /, ''));
    expect(needs.length).toBeGreaterThanOrEqual(6);
    for (const program of needs) expect(text, program).toContain(`\`${program}\``);
  });
});

describe('docs/targets: YAML parsing of the manifests is strict', () => {
  it('every Kubernetes manifest block is one valid YAML document', () => {
    for (const name of pages) {
      for (const block of fenced(page(name), 'yaml').filter((b) => b.startsWith('apiVersion:'))) {
        const docs = parseAllDocuments(block);
        expect(docs.length, name).toBe(1);
        expect(docs[0]!.errors, name).toEqual([]);
      }
    }
  });
});
