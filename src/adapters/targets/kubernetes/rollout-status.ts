/** The slice of an apps/v1 Deployment the rollout decision reads. */
export interface DeploymentLike {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export type RolloutState = { state: 'done'; message: string } | { state: 'waiting'; message: string } | { state: 'failed'; message: string };

/**
 * Whether a Deployment's rollout is finished, exactly as `kubectl rollout status` decides
 * (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go, DeploymentStatusViewer.Status): nothing
 * is judged until the controller has observed the latest generation; then a Progressing condition
 * with reason ProgressDeadlineExceeded is a failure; then it waits for every replica to be updated,
 * for the old replicas to be gone, and for every updated replica to be available.
 */
export function rolloutState(d: DeploymentLike): RolloutState {
  const name = d.metadata?.name ?? '?';
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) return { state: 'waiting', message: `deployment "${name}": waiting for the spec update to be observed` };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { state: 'failed', message: `deployment "${name}" exceeded its progress deadline: ${progressing.message ?? ''}`.trim() };
  const updated = s.updatedReplicas ?? 0;
  if (d.spec?.replicas !== undefined && updated < d.spec.replicas) return { state: 'waiting', message: `deployment "${name}": ${updated} out of ${d.spec.replicas} new replicas have been updated` };
  if ((s.replicas ?? 0) > updated) return { state: 'waiting', message: `deployment "${name}": ${(s.replicas ?? 0) - updated} old replicas are pending termination` };
  if ((s.availableReplicas ?? 0) < updated) return { state: 'waiting', message: `deployment "${name}": ${s.availableReplicas ?? 0} of ${updated} updated replicas are available` };
  return { state: 'done', message: `deployment "${name}" successfully rolled out` };
}
