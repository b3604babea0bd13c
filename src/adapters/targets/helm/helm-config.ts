import * as z from 'zod';

export const HELM_TARGET_TYPE = 'helm';

/** Helm's own rule for release names (DNS-1123 label, at most 53 characters). */
const releaseName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'lower-case letters, digits and "-"').max(53);

export const helmTargetSchema = z.strictObject({
  type: z.literal(HELM_TARGET_TYPE),
  release: releaseName.describe('The Helm release name (`helm upgrade --install <release>`).'),
  namespace: z.string().min(1).default('default').describe('The namespace of the release (`-n`).'),
  chart: z.string().min(1).describe('The chart: a path (relative to rewind.yaml when it starts with ./ or ../) or a repository reference such as `myrepo/app` or `oci://...`.'),
  valuesFiles: z.array(z.string().min(1)).default([]).describe('Values files (`-f`) given to every upgrade, in order, before the release\'s own `--set` values.'),
  helm: z.string().min(1).default('helm').describe('The helm binary (a name on PATH or a path).'),
  kubeconfig: z.string().min(1).optional().describe('Passed as `--kubeconfig` (default: what helm finds: KUBECONFIG, ~/.kube/config).'),
  context: z.string().min(1).optional().describe('Passed as `--kube-context`.'),
  timeout: z.string().regex(/^\d+[smh]$/, 'a Go duration such as 300s or 5m').default('300s').describe('`--timeout` of upgrade and rollback (`--wait` waits this long for the resources to be ready).'),
  stopSet: z.array(z.string().regex(/^[^=]+=.*$/, 'key=value')).default(['replicaCount=0']).describe('The `--set` pairs `stop` upgrades the active release with (the chart\'s own way to run no pods).'),
  recoverPending: z.boolean().default(false).describe('When the release is stuck in pending-install/-upgrade/-rollback (an interrupted helm, helm/helm#4558), activate first runs `helm rollback <release> <last deployed revision>` and records it in its journaled outcome. Default false: activate refuses with REWIND_E_HELM_RELEASE_PENDING and changes nothing.'),
  stateDir: z.string().min(1).optional().describe('Where rewind keeps the record of each prepared release and the Helm revision each release got. Default: rewind-helm/<env> next to rewind.yaml.'),
  keep: z.number().int().min(1).default(5).describe('Prepared releases whose records are kept (Helm keeps its own history; see `--history-max`).'),
  commandTimeoutMs: z.number().int().min(1000).default(600_000).describe('Timeout of each helm process (longer than `timeout`: helm itself gives up first).'),
});

export type HelmTargetConfig = z.output<typeof helmTargetSchema>;
