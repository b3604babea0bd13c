import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { KUBERNETES_TARGET_TYPE, kubernetesTargetSchema, type KubernetesTargetConfig } from './kubernetes-config.js';

/**
 * Deployments in a Kubernetes namespace: a release is the image digests of one or more of them,
 * patched into their pod templates together; the cluster runs them. No runtime and no release files.
 */
export const kubernetesTargetDefinition: TargetDefinition<KubernetesTargetConfig> = {
  kind: 'target',
  name: KUBERNETES_TARGET_TYPE,
  type: KUBERNETES_TARGET_TYPE,
  configSchema: kubernetesTargetSchema,
  resolvePaths(config, at) {
    if (config.kubeconfig) config.kubeconfig = at.abs(config.kubeconfig);
    config.stateDir = at.abs(config.stateDir ?? `rewind-kubernetes/${at.env}`);
  },
  // Images, not files: migrations cannot be read from a release here (docs/config.md, Kubernetes).
  releaseFiles: false,
  // A rolling update keeps old pods serving until new ones are available (maxUnavailable permitting).
  capabilities: { zeroDowntimeReload: true },
  load: async () => {
    const { KubernetesTarget } = await import('./kubernetes-target.js');
    return (config) => new KubernetesTarget(config as KubernetesTargetConfig & { stateDir: string });
  },
};
