import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { HELM_TARGET_TYPE, helmTargetSchema, type HelmTargetConfig } from './helm-config.js';

/**
 * A Helm release: a rewind release is a chart version and `--set` values; activate is
 * `helm upgrade --install --wait`, and going back to a release Helm already ran is
 * `helm rollback <release> <its recorded revision>`. No runtime and no release files here.
 */
export const helmTargetDefinition: TargetDefinition<HelmTargetConfig> = {
  kind: 'target',
  name: HELM_TARGET_TYPE,
  type: HELM_TARGET_TYPE,
  configSchema: helmTargetSchema,
  resolvePaths(config, at) {
    config.stateDir = at.abs(config.stateDir ?? `rewind-helm/${at.env}`);
    config.valuesFiles = config.valuesFiles.map((file) => at.abs(file));
    // A local chart path is made absolute; a repository reference (repo/chart, oci://) is kept.
    if (config.chart.startsWith('./') || config.chart.startsWith('../')) config.chart = at.abs(config.chart);
    if (config.kubeconfig) config.kubeconfig = at.abs(config.kubeconfig);
  },
  // Charts, not files: migrations cannot be read from a release here.
  releaseFiles: false,
  // `helm rollback` is Helm's own primitive; whether a rollout drops requests depends on the chart.
  capabilities: { nativeRollback: true },
  load: async () => {
    const { HelmTarget } = await import('./helm-target.js');
    return (config, deps) => new HelmTarget(config as HelmTargetConfig & { stateDir: string }, deps.executor, deps.capabilities);
  },
};
