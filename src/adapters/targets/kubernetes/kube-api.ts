import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { RewindError } from '../../../errors/rewind-error.js';

/**
 * The few API calls the target makes, with the client's errors turned into coded ones: a 404 is
 * REWIND_E_KUBE_NOT_FOUND (named), anything that never got an HTTP answer REWIND_E_KUBE_UNREACHABLE.
 * The kubeconfig is read as kubectl reads it: the configured file, else KUBECONFIG, else
 * ~/.kube/config, else the in-cluster service account (the client's loadFromDefault).
 */
export class KubeApi {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  readonly server: string;

  constructor(options: { kubeconfig?: string; context?: string }) {
    const kc = new KubeConfig();
    try {
      if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
      else kc.loadFromDefault();
      if (options.context) kc.setCurrentContext(options.context);
    } catch (error) {
      throw new RewindError('REWIND_E_KUBE_UNREACHABLE', `cannot load the kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${(error as Error).message}`, { kubeconfig: options.kubeconfig ?? null });
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new RewindError('REWIND_E_KUBE_UNREACHABLE', `the kubeconfig has no cluster for context ${kc.getCurrentContext() || '(none)'}`, { context: kc.getCurrentContext() || null });
    this.server = cluster.server;
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async deployment(namespace: string, name: string): Promise<V1Deployment> {
    return this.call(`deployment ${namespace}/${name}`, () => this.apps.readNamespacedDeployment({ name, namespace }));
  }

  /** A strategic merge patch, as `kubectl set image` sends one: containers merge by name. */
  async patchDeployment(namespace: string, name: string, body: object): Promise<V1Deployment> {
    return this.call(`deployment ${namespace}/${name}`, () => this.apps.patchNamespacedDeployment({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)));
  }

  async pods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    return (await this.call(`pods of ${namespace} (${labelSelector})`, () => this.core.listNamespacedPod({ namespace, labelSelector }))).items;
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof ApiException) {
        const code = (error as ApiException<unknown>).code;
        const message = statusMessage((error as ApiException<unknown>).body) ?? error.message.split('\n')[0];
        if (code === 404) throw new RewindError('REWIND_E_KUBE_NOT_FOUND', `${what} not found (${message})`, { what, server: this.server });
        throw new RewindError('REWIND_E_KUBE_UNREACHABLE', `the API server ${this.server} answered HTTP ${code} for ${what}: ${message}`, { what, server: this.server, status: code });
      }
      throw new RewindError('REWIND_E_KUBE_UNREACHABLE', `the API server ${this.server} did not answer for ${what}: ${(error as Error).message}`, { what, server: this.server });
    }
  }
}

/** The message of a Kubernetes Status body, when the error carries one. */
function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message;
    } catch {
      return body.slice(0, 300) || undefined;
    }
  }
  return (body as { message?: string } | null)?.message;
}
