import { createHash, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Kubernetes API server for tests: apps/v1 Deployments and ReplicaSets and v1 Pods on loopback
 * (plain http), with a small deployment controller ticking every TICK_MS. Modelled on the real
 * controller (pkg/controller/deployment): one ReplicaSet per distinct pod template, named
 * <deployment>-<pod-template-hash>, its `deployment.kubernetes.io/revision` the highest + 1 (an old
 * ReplicaSet whose template comes back is re-used and gets the new revision, as on a rollback);
 * the new ReplicaSet surges by one pod per tick and the old ones scale down as new pods become
 * available; a pod is ready two ticks after it is created, unless its image contains NEVER_READY.
 * With no progress for spec.progressDeadlineSeconds the Progressing condition becomes
 * False/ProgressDeadlineExceeded. Core v1 Secrets in a namespace (the store of the fake helm's
 * release history, as Helm 3's secret driver keeps it). Enough of discovery (/api, /apis, /version) and of watch for the
 * real kubectl (`rollout status`, `rollout history`, `rollout undo`): test/fake-kube-apiserver.test.ts.
 */
export const NEVER_READY = 'never-ready';
const TICK_MS = 100;
const READY_AFTER_TICKS = 2;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Pod {
  name: string;
  namespace: string;
  rs: string;
  labels: Record<string, string>;
  template: Json;
  bornTick: number;
  uid: string;
}

export interface FakeDeploymentSpec {
  name: string;
  namespace: string;
  replicas?: number;
  /** Container name -> image. */
  containers: Record<string, string>;
  progressDeadlineSeconds?: number;
}

export class FakeKubeApiServer {
  private server: Server;
  private rv = 1;
  private tickCount = 0;
  private timer: NodeJS.Timeout | null = null;
  readonly deployments = new Map<string, Json>();
  readonly replicaSets = new Map<string, Json>();
  /** core v1 Secrets, `<namespace>/<name>` -> the object (what Helm 3 keeps its release history in). */
  readonly secrets = new Map<string, Json>();
  private pods: Pod[] = [];
  /** When each deployment last progressed (ms), for the progress deadline. */
  private progressAt = new Map<string, number>();
  private watchers = new Set<{ res: ServerResponse; kind: 'deployments' | 'replicasets'; namespace: string; match: (o: Json) => boolean; lastRv: Map<string, string> }>();
  /** Every request as `METHOD path`, for tests asserting what was (not) called. */
  readonly requests: string[] = [];
  port = 0;

  private constructor() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => this.status(res, 500, 'InternalError', error.message));
    });
  }

  static async start(): Promise<FakeKubeApiServer> {
    const fake = new FakeKubeApiServer();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    fake.timer = setInterval(() => fake.tick(), TICK_MS);
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A kubeconfig naming this server (context `fake`, no credentials), written to `path`. */
  async writeKubeconfig(path: string, context = 'fake'): Promise<string> {
    const text = [
      'apiVersion: v1',
      'kind: Config',
      `current-context: ${context}`,
      'clusters:',
      `- name: ${context}`,
      '  cluster:',
      `    server: ${this.url}`,
      // @kubernetes/client-node refuses a plain-http server unless this is set (kubectl takes it either way).
      '    insecure-skip-tls-verify: true',
      'contexts:',
      `- name: ${context}`,
      '  context:',
      `    cluster: ${context}`,
      `    user: ${context}`,
      'users:',
      `- name: ${context}`,
      '  user: {}',
      '',
    ].join('\n');
    await writeFile(path, text);
    return path;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Creates a Deployment as `kubectl apply` of a plain manifest would. */
  createDeployment(spec: FakeDeploymentSpec): Json {
    const labels = { app: spec.name };
    const deployment: Json = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: spec.name, namespace: spec.namespace, uid: randomUUID(), generation: 1, resourceVersion: String(++this.rv), creationTimestamp: now(), labels, annotations: {} },
      spec: {
        replicas: spec.replicas ?? 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels: { ...labels } }, spec: { containers: Object.entries(spec.containers).map(([name, image]) => ({ name, image })) } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600,
      },
      status: {},
    };
    this.deployments.set(key(spec.namespace, spec.name), deployment);
    this.reconcile(deployment);
    return deployment;
  }

  deployment(namespace: string, name: string): Json | undefined {
    return this.deployments.get(key(namespace, name));
  }

  /** The images of a Deployment's pod template, container -> image. */
  images(namespace: string, name: string): Record<string, string> {
    const d = this.deployment(namespace, name);
    return Object.fromEntries(((d?.spec.template.spec.containers ?? []) as Json[]).map((c) => [c.name, c.image]));
  }

  /** Ready pods of a Deployment: what would answer behind its Service. */
  readyPods(namespace: string, name: string): { pod: string; template: Json }[] {
    const d = this.deployment(namespace, name);
    if (!d) return [];
    return this.pods.filter((p) => p.namespace === namespace && this.ownerOf(p.rs) === name && this.isReady(p)).map((p) => ({ pod: p.name, template: p.template }));
  }

  /** Waits until every Deployment is complete (as `kubectl rollout status` says), or throws. */
  async settled(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ([...this.deployments.values()].every((d) => complete(d))) return;
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    throw new Error('fake deployments did not settle');
  }

  private ownerOf(rsName: string): string | undefined {
    for (const rs of this.replicaSets.values()) if (rs.metadata.name === rsName) return rs.metadata.ownerReferences[0].name;
    return undefined;
  }

  private isReady(pod: Pod): boolean {
    const images = ((pod.template.spec.containers ?? []) as Json[]).map((c) => String(c.image));
    return !images.some((i) => i.includes(NEVER_READY)) && this.tickCount - pod.bornTick >= READY_AFTER_TICKS;
  }

  // ---------- controller ----------

  private tick(): void {
    this.tickCount++;
    for (const d of this.deployments.values()) this.reconcile(d);
    this.notify();
  }

  private rsOf(d: Json): Json[] {
    return [...this.replicaSets.values()].filter((rs) => rs.metadata.namespace === d.metadata.namespace && rs.metadata.ownerReferences[0].uid === d.metadata.uid);
  }

  private reconcile(d: Json): void {
    const dKey = key(d.metadata.namespace, d.metadata.name);
    const before = JSON.stringify(d.status);
    const owned = this.rsOf(d);
    const hash = templateHash(d.spec.template);
    let newRs = owned.find((rs) => rs.metadata.labels['pod-template-hash'] === hash);
    const maxRevision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations['deployment.kubernetes.io/revision'] ?? 0)));
    if ((d.status.observedGeneration ?? 0) < d.metadata.generation) {
      const revision = newRs && Number(newRs.metadata.annotations['deployment.kubernetes.io/revision']) === maxRevision ? maxRevision : maxRevision + 1;
      if (!newRs) {
        const template = clone(d.spec.template);
        template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash } };
        newRs = {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${d.metadata.name}-${hash}`,
            namespace: d.metadata.namespace,
            uid: randomUUID(),
            generation: 1,
            creationTimestamp: now(),
            labels: { ...template.metadata.labels },
            annotations: {},
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }],
          },
          spec: { replicas: 0, selector: { matchLabels: { ...d.spec.selector.matchLabels, 'pod-template-hash': hash } }, template },
          status: { replicas: 0 },
        };
        this.replicaSets.set(key(d.metadata.namespace, newRs.metadata.name), newRs);
      }
      // The Deployment's change-cause annotation travels to the ReplicaSet, as the controller copies it.
      const cause = d.metadata.annotations?.['kubernetes.io/change-cause'];
      newRs.metadata.annotations = { ...newRs.metadata.annotations, 'deployment.kubernetes.io/revision': String(revision), ...(cause ? { 'kubernetes.io/change-cause': cause } : {}) };
      newRs.metadata.resourceVersion = String(++this.rv);
      d.metadata.annotations = { ...(d.metadata.annotations ?? {}), 'deployment.kubernetes.io/revision': String(revision) };
      d.status.observedGeneration = d.metadata.generation;
      this.progressAt.set(dKey, Date.now());
      setCondition(d, 'Progressing', 'True', newRs.status.replicas ? 'FoundNewReplicaSet' : 'NewReplicaSetCreated', `${newRs.status.replicas ? 'Found new' : 'Created new'} replica set "${newRs.metadata.name}"`);
    }
    if (!newRs) return;
    const desired = d.spec.replicas ?? 1;
    const ready = (rs: Json) => this.pods.filter((p) => p.rs === rs.metadata.name && this.isReady(p)).length;
    // Surge: one more pod of the new ReplicaSet per tick; old ones keep what the new ones do not yet make available.
    const newWanted = Math.min(desired, newRs.spec.replicas + 1);
    let progressed = false;
    if (newRs.spec.replicas !== newWanted || newRs.spec.replicas > desired) {
      newRs.spec.replicas = Math.min(desired, newWanted);
      progressed = true;
    }
    const oldRs = owned.filter((rs) => rs !== newRs);
    let oldBudget = Math.max(0, desired - ready(newRs));
    for (const rs of oldRs.sort((a, b) => ready(b) - ready(a))) {
      const keep = Math.min(rs.spec.replicas, oldBudget);
      oldBudget -= keep;
      if (keep !== rs.spec.replicas) {
        rs.spec.replicas = keep;
        progressed = true;
      }
    }
    for (const rs of [newRs, ...oldRs]) this.syncPods(rs);
    for (const rs of [newRs, ...oldRs]) {
      const status = { replicas: rs.spec.replicas, readyReplicas: ready(rs), availableReplicas: ready(rs), observedGeneration: rs.metadata.generation };
      if (JSON.stringify(status) !== JSON.stringify(rs.status)) {
        if (rs === newRs && status.availableReplicas !== rs.status.availableReplicas) progressed = true;
        rs.status = status;
        rs.metadata.resourceVersion = String(++this.rv);
      }
    }
    const all = [newRs, ...oldRs];
    const available = all.reduce((n, rs) => n + rs.status.availableReplicas, 0);
    const replicas = all.reduce((n, rs) => n + rs.status.replicas, 0);
    Object.assign(d.status, {
      replicas,
      updatedReplicas: newRs.status.replicas,
      readyReplicas: available,
      availableReplicas: available,
      unavailableReplicas: Math.max(0, desired - available),
    });
    setCondition(d, 'Available', available >= desired - Math.floor(desired / 4) ? 'True' : 'False', available >= desired - Math.floor(desired / 4) ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', available >= desired - Math.floor(desired / 4) ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.');
    if (progressed) this.progressAt.set(dKey, Date.now());
    const progressing = d.status.conditions.find((c: Json) => c.type === 'Progressing');
    if (complete(d)) {
      setCondition(d, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${newRs.metadata.name}" has successfully progressed.`);
    } else if (progressing?.reason !== 'ProgressDeadlineExceeded' && Date.now() - (this.progressAt.get(dKey) ?? Date.now()) > d.spec.progressDeadlineSeconds * 1000) {
      setCondition(d, 'Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${newRs.metadata.name}" has timed out progressing.`);
    } else if (progressed && progressing?.reason !== 'ProgressDeadlineExceeded') {
      setCondition(d, 'Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${newRs.metadata.name}" is progressing.`);
    }
    if (JSON.stringify(d.status) !== before) d.metadata.resourceVersion = String(++this.rv);
  }

  private syncPods(rs: Json): void {
    const mine = this.pods.filter((p) => p.rs === rs.metadata.name);
    for (let i = mine.length; i < rs.spec.replicas; i++) {
      this.pods.push({ name: `${rs.metadata.name}-${randomUUID().slice(0, 5)}`, namespace: rs.metadata.namespace, rs: rs.metadata.name, labels: { ...rs.spec.template.metadata.labels }, template: clone(rs.spec.template), bornTick: this.tickCount, uid: randomUUID() });
    }
    // Not-ready pods go first, as the ReplicaSet controller deletes them first.
    const excess = mine.sort((a, b) => Number(this.isReady(a)) - Number(this.isReady(b))).slice(0, Math.max(0, mine.length - rs.spec.replicas));
    this.pods = this.pods.filter((p) => !excess.includes(p));
  }

  private notify(): void {
    for (const w of this.watchers) {
      const objects = w.kind === 'deployments' ? [...this.deployments.values()] : [...this.replicaSets.values()];
      for (const o of objects) {
        if (o.metadata.namespace !== w.namespace || !w.match(o)) continue;
        if (w.lastRv.get(o.metadata.name) === o.metadata.resourceVersion) continue;
        w.lastRv.set(o.metadata.name, o.metadata.resourceVersion);
        w.res.write(JSON.stringify({ type: 'MODIFIED', object: o }) + '\n');
      }
    }
  }

  // ---------- HTTP ----------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}`);
    const body = await readBody(req);
    const path = url.pathname.replace(/\/$/, '');
    if (path === '/version') return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-fake', platform: 'linux/amd64' });
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }] });
    if (path === '/apis') {
      return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] });
    }
    if (path === '/api/v1') return send(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [
          { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
          { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'] },
        ],
      });
    if (path === '/apis/apps/v1') {
      const verbs = ['get', 'list', 'watch', 'patch', 'update'];
      return send(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'apps/v1',
        resources: [
          { name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs, shortNames: ['deploy'], categories: ['all'] },
          { name: 'replicasets', singularName: 'replicaset', namespaced: true, kind: 'ReplicaSet', verbs, shortNames: ['rs'], categories: ['all'] },
        ],
      });
    }
    // kubectl asks whether the namespace exists before it reports a NotFound: every namespace does here.
    const ns = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path);
    if (ns && method === 'GET') return send(res, 200, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: ns[1] }, status: { phase: 'Active' } });
    const pods = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path);
    if (pods && method === 'GET') {
      const selector = labelMatcher(url.searchParams.get('labelSelector'));
      const items = this.pods.filter((p) => p.namespace === pods[1] && selector(p.labels)).map((p) => this.podObject(p));
      return send(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
    }
    const secrets = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(path);
    if (secrets) return this.handleSecret(req, res, method, url, body, secrets[1]!, secrets[2]);
    const apps = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments|replicasets)(?:\/([^/]+))?$/.exec(path);
    if (!apps) return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const [, namespace, kind, name] = apps as unknown as [string, string, 'deployments' | 'replicasets', string | undefined];
    const store = kind === 'deployments' ? this.deployments : this.replicaSets;
    if (!name) {
      if (method !== 'GET') return this.status(res, 405, 'MethodNotAllowed', `${method} on a collection is not served by this fake`);
      const labels = labelMatcher(url.searchParams.get('labelSelector'));
      const fields = fieldMatcher(url.searchParams.get('fieldSelector'));
      const match = (o: Json) => labels(o.metadata.labels ?? {}) && fields(o);
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        // The API server answers a watch at once; the client waits for these headers before it goes on.
        res.flushHeaders();
        const since = Number(url.searchParams.get('resourceVersion') ?? 0);
        const watcher = { res, kind, namespace, match, lastRv: new Map<string, string>() };
        // Objects not changed since the client's list are not sent again.
        for (const o of store.values()) if (o.metadata.namespace === namespace && match(o) && Number(o.metadata.resourceVersion) <= since) watcher.lastRv.set(o.metadata.name, o.metadata.resourceVersion);
        this.watchers.add(watcher);
        const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 300);
        const timer = setTimeout(() => res.end(), timeout * 1000);
        res.on('close', () => {
          clearTimeout(timer);
          this.watchers.delete(watcher);
        });
        this.notify();
        return;
      }
      const items = [...store.values()].filter((o) => o.metadata.namespace === namespace && match(o));
      return send(res, 200, { kind: kind === 'deployments' ? 'DeploymentList' : 'ReplicaSetList', apiVersion: 'apps/v1', metadata: { resourceVersion: String(this.rv) }, items });
    }
    const object = store.get(key(namespace, name));
    if (!object) return this.status(res, 404, 'NotFound', `${kind}.apps "${name}" not found`, { name, group: 'apps', kind });
    if (method === 'GET') return send(res, 200, object);
    if (method !== 'PATCH' && method !== 'PUT') return this.status(res, 405, 'MethodNotAllowed', `${method} is not served by this fake`);
    let next: Json;
    try {
      const input = JSON.parse(body || 'null');
      if (method === 'PUT') {
        if (input?.metadata?.resourceVersion && input.metadata.resourceVersion !== object.metadata.resourceVersion) {
          return this.status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${kind}.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        next = { ...clone(input), status: clone(object.status) };
      } else {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        if (type === 'application/json-patch+json') next = jsonPatch(clone(object), input);
        else if (type === 'application/merge-patch+json') next = mergePatch(clone(object), input);
        else if (type === 'application/strategic-merge-patch+json') next = strategicMerge(clone(object), input);
        else return this.status(res, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
      }
    } catch (error) {
      return this.status(res, 422, 'Invalid', `invalid patch: ${(error as Error).message}`);
    }
    if (url.searchParams.get('dryRun') === 'All') return send(res, 200, next);
    // Identity and status are the server's; spec changes bump generation, any change the resourceVersion.
    next.metadata = { ...next.metadata, name: object.metadata.name, namespace, uid: object.metadata.uid, generation: object.metadata.generation, resourceVersion: object.metadata.resourceVersion };
    next.status = object.status;
    if (JSON.stringify(next.spec) !== JSON.stringify(object.spec)) next.metadata.generation++;
    if (JSON.stringify(next) !== JSON.stringify(object)) next.metadata.resourceVersion = String(++this.rv);
    store.set(key(namespace, name), next);
    if (kind === 'deployments') this.reconcile(next);
    this.notify();
    return send(res, 200, next);
  }

  /**
   * core v1 Secrets as the API server answers them: create (201, 409 AlreadyExists), get (404
   * NotFound), list with an equality label selector, replace (PUT: 404, 409 Conflict on a stale
   * resourceVersion, `type` immutable), patch (merge, strategic, JSON patch) and delete. `stringData`
   * is folded into `data` (base64) on write, as the real server does; `data` values must be base64.
   */
  private handleSecret(req: IncomingMessage, res: ServerResponse, method: string, url: URL, body: string, namespace: string, name: string | undefined): void {
    const notFound = (n: string) => this.status(res, 404, 'NotFound', `secrets "${n}" not found`, { name: n, kind: 'secrets' });
    let input: Json | null = null;
    if (body && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
      try {
        input = JSON.parse(body);
      } catch (error) {
        return this.status(res, 400, 'BadRequest', `the body of the request could not be decoded: ${(error as Error).message}`);
      }
    }
    const write = (object: Json, previous: Json | undefined): { secret: Json } | { field: string; message: string } => {
      const data: Record<string, string> = { ...(object.data ?? {}) };
      for (const [k, v] of Object.entries(data)) if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return { field: `data[${k}]`, message: 'illegal base64 data' };
      for (const [k, v] of Object.entries((object.stringData ?? {}) as Record<string, string>)) data[k] = Buffer.from(String(v)).toString('base64');
      const type = object.type ?? previous?.type ?? 'Opaque';
      if (previous && type !== previous.type) return { field: 'type', message: `Invalid value: "${type}": field is immutable` };
      const metadata = { ...(object.metadata ?? {}) };
      delete metadata.resourceVersion;
      return {
        secret: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { ...metadata, name: previous?.metadata.name ?? metadata.name, namespace, uid: previous?.metadata.uid ?? randomUUID(), creationTimestamp: previous?.metadata.creationTimestamp ?? now(), resourceVersion: String(++this.rv) },
          ...(Object.keys(data).length > 0 ? { data } : {}),
          type,
        },
      };
    };
    if (!name) {
      if (method === 'GET') {
        const labels = labelMatcher(url.searchParams.get('labelSelector'));
        const fields = fieldMatcher(url.searchParams.get('fieldSelector'));
        const items = [...this.secrets.values()].filter((o) => o.metadata.namespace === namespace && labels(o.metadata.labels ?? {}) && fields(o)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
        return send(res, 200, { kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
      }
      if (method !== 'POST') return this.status(res, 405, 'MethodNotAllowed', `${method} on a collection is not served by this fake`);
      const wanted = input?.metadata?.name;
      if (typeof wanted !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(wanted) || wanted.length > 253) {
        return this.status(res, 422, 'Invalid', `Secret "${wanted ?? ''}" is invalid: metadata.name: Invalid value: a lowercase RFC 1123 subdomain is required`, { name: wanted ?? '', kind: 'Secret' });
      }
      if (input!.metadata.namespace && input!.metadata.namespace !== namespace) return this.status(res, 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
      if (this.secrets.has(key(namespace, wanted))) return this.status(res, 409, 'AlreadyExists', `secrets "${wanted}" already exists`, { name: wanted, kind: 'secrets' });
      const created = write(input!, undefined);
      if ('field' in created) return this.invalid(res, wanted, created);
      if (url.searchParams.get('dryRun') !== 'All') this.secrets.set(key(namespace, wanted), created.secret);
      return send(res, 201, created.secret);
    }
    const object = this.secrets.get(key(namespace, name));
    if (!object) return notFound(name);
    if (method === 'GET') return send(res, 200, object);
    if (method === 'DELETE') {
      if (url.searchParams.get('dryRun') !== 'All') this.secrets.delete(key(namespace, name));
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: 'secrets', uid: object.metadata.uid } });
    }
    let next: Json;
    if (method === 'PUT') {
      if (input?.metadata?.name !== name) return this.status(res, 400, 'BadRequest', `the name of the object (${input?.metadata?.name}) does not match the name on the URL (${name})`);
      if (input.metadata.resourceVersion && input.metadata.resourceVersion !== object.metadata.resourceVersion) {
        return this.status(res, 409, 'Conflict', `Operation cannot be fulfilled on secrets "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: 'secrets' });
      }
      next = input;
    } else if (method === 'PATCH') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      try {
        if (type === 'application/json-patch+json') next = jsonPatch(clone(object), input as unknown as Json[]);
        else if (type === 'application/merge-patch+json') next = mergePatch(clone(object), input!);
        else if (type === 'application/strategic-merge-patch+json') next = strategicMerge(clone(object), input!);
        else return this.status(res, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
      } catch (error) {
        return this.status(res, 422, 'Invalid', `invalid patch: ${(error as Error).message}`);
      }
    } else return this.status(res, 405, 'MethodNotAllowed', `${method} is not served by this fake`);
    const replaced = write(next, object);
    if ('field' in replaced) return this.invalid(res, name, replaced);
    if (url.searchParams.get('dryRun') !== 'All') this.secrets.set(key(namespace, name), replaced.secret);
    return send(res, 200, replaced.secret);
  }

  /** A 422 as the API server words it: kubectl prints the causes under "The Secret ... is invalid". */
  private invalid(res: ServerResponse, name: string, cause: { field: string; message: string }): void {
    this.status(res, 422, 'Invalid', `Secret "${name}" is invalid: ${cause.field}: ${cause.message}`, { name, kind: 'Secret', causes: [{ reason: 'FieldValueInvalid', message: cause.message, field: cause.field }] });
  }

  private podObject(p: Pod): Json {
    const ready = this.isReady(p);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: p.name, namespace: p.namespace, uid: p.uid, labels: p.labels, annotations: p.template.metadata?.annotations ?? {}, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: p.rs, controller: true }] },
      spec: p.template.spec,
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: (p.template.spec.containers as Json[]).map((c) => ({ name: c.name, image: c.image, ready })) },
    };
  }

  private status(res: ServerResponse, code: number, reason: string, message: string, details?: Json): void {
    send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
  }
}

/** As kubectl's DeploymentStatusViewer decides: caught up, all updated, no old replicas, all available. */
function complete(d: Json): boolean {
  const s = d.status;
  return (s.observedGeneration ?? 0) >= d.metadata.generation && (s.updatedReplicas ?? 0) >= (d.spec.replicas ?? 1) && (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) && (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0);
}

function setCondition(d: Json, type: string, status: string, reason: string, message: string): void {
  const conditions: Json[] = (d.status.conditions ??= []);
  const existing = conditions.find((c) => c.type === type);
  const at = now();
  if (existing) {
    if (existing.status === status && existing.reason === reason && existing.message === message) return;
    if (existing.status !== status) existing.lastTransitionTime = at;
    Object.assign(existing, { status, reason, message, lastUpdateTime: at });
  } else conditions.push({ type, status, reason, message, lastUpdateTime: at, lastTransitionTime: at });
}

function templateHash(template: Json): string {
  const t = clone(template);
  if (t.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  return createHash('sha256').update(stable(t)).digest('hex').slice(0, 10).replace(/[^a-z0-9]/g, 'x');
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Json).filter(([, v]) => v !== undefined && v !== null && !(v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0));
    return `{${entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `a=b,c!=d,e` equality-based label selectors (what kubectl and the client send). */
function labelMatcher(selector: string | null): (labels: Record<string, string>) => boolean {
  const terms = (selector ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return (labels) =>
    terms.every((t) => {
      const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(t);
      if (!m) return t.startsWith('!') ? !(t.slice(1) in labels) : t in labels;
      return m[2] === '!=' ? labels[m[1]!] !== m[3] : labels[m[1]!] === m[3];
    });
}

function fieldMatcher(selector: string | null): (o: Json) => boolean {
  const terms = (selector ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return (o) =>
    terms.every((t) => {
      const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(t);
      if (!m) return true;
      const value = m[1] === 'metadata.name' ? o.metadata.name : m[1] === 'metadata.namespace' ? o.metadata.namespace : undefined;
      return m[2] === '!=' ? value !== m[3] : value === m[3];
    });
}

/** RFC 7386. */
function mergePatch(target: Json, patch: Json): Json {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json = target && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The merge keys of the lists a pod template has (strategic merge patch: patchMergeKey). */
const MERGE_KEYS: Record<string, string> = { containers: 'name', initContainers: 'name', env: 'name', volumes: 'name', volumeMounts: 'mountPath', ports: 'containerPort', conditions: 'type' };

function strategicMerge(target: Json, patch: Json, field = ''): Json {
  if (Array.isArray(patch)) {
    const mergeKey = MERGE_KEYS[field];
    if (!mergeKey || !Array.isArray(target)) return patch;
    const out = [...target];
    for (const item of patch) {
      if (item?.$patch === 'delete') {
        const i = out.findIndex((o) => o[mergeKey] === item[mergeKey]);
        if (i >= 0) out.splice(i, 1);
        continue;
      }
      const i = out.findIndex((o) => o?.[mergeKey] === item?.[mergeKey]);
      if (i >= 0) out[i] = strategicMerge(out[i], item);
      else out.push(item);
    }
    return out;
  }
  if (!patch || typeof patch !== 'object') return patch;
  const out: Json = target && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v, k);
  }
  return out;
}

/** RFC 6902: add, replace, remove, test (what kubectl rollout undo and the client send). */
function jsonPatch(doc: Json, ops: Json[]): Json {
  if (!Array.isArray(ops)) throw new Error('a JSON patch is an array of operations');
  for (const op of ops) {
    const parts = String(op.path).split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let parent: Json = doc;
    for (const p of parts) {
      if (parent[p] === undefined) throw new Error(`path ${op.path} does not exist`);
      parent = parent[p];
    }
    if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error(`test of ${op.path} failed`);
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === 'add' || op.op === 'replace') {
      if (op.op === 'replace' && parent[last] === undefined && !Array.isArray(parent)) throw new Error(`replace of missing ${op.path}`);
      if (Array.isArray(parent)) {
        if (last === '-') parent.push(op.value);
        else if (op.op === 'add') parent.splice(Number(last), 0, op.value);
        else parent[Number(last)] = op.value;
      } else parent[last] = op.value;
    } else throw new Error(`unsupported op ${op.op}`);
  }
  return doc;
}
