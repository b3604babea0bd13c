import * as z from 'zod';

export const KUBERNETES_TARGET_TYPE = 'kubernetes';

/** A Kubernetes object name (RFC 1123 label: lower-case letters, digits, dashes). */
const kubeName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a Kubernetes name: lower-case letters, digits and "-", starting and ending with a letter or digit');

export const kubernetesTargetSchema = z.strictObject({
  type: z.literal(KUBERNETES_TARGET_TYPE),
  namespace: kubeName.describe('The namespace of the Deployments.'),
  deployments: z
    .array(
      z.strictObject({
        name: kubeName.describe('The Deployment.'),
        containers: z.array(kubeName).min(1).optional().describe('The containers of its pod template a release may set the image of. Default: its only container (a Deployment with several must name them).'),
      }),
    )
    .min(1)
    .describe('The Deployments a release rolls together (`--image <deployment>[/<container>]=repo@sha256:...`).'),
  kubeconfig: z.string().min(1).optional().describe('A kubeconfig file, relative to rewind.yaml. Default: KUBECONFIG, else ~/.kube/config, else the in-cluster service account.'),
  context: z.string().min(1).optional().describe("The kubeconfig context. Default: the kubeconfig's current-context."),
  stateDir: z.string().min(1).optional().describe('Where rewind keeps the record of each prepared release (its images and the revision each Deployment got). Default: rewind-kubernetes/<env> next to rewind.yaml.'),
  keep: z.number().int().min(1).default(5).describe('Releases whose records (images, revisions) are kept; the current release and the LKG are never removed.'),
  rolloutTimeoutMs: z
    .number()
    .int()
    .min(1000)
    .default(600_000)
    .describe("How long activate waits for the rollout of every Deployment (as `kubectl rollout status` decides) before it fails with REWIND_E_KUBE_ROLLOUT_TIMEOUT. The Deployment's own progressDeadlineSeconds fails it sooner (REWIND_E_KUBE_ROLLOUT_FAILED)."),
});

export type KubernetesTargetConfig = z.infer<typeof kubernetesTargetSchema>;
