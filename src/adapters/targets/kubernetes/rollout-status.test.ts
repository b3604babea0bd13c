import { describe, expect, it } from 'vitest';
import { rolloutState, type DeploymentLike } from './rollout-status.js';

const deployment = (status: DeploymentLike['status'], generation = 2, replicas = 2): DeploymentLike => ({ metadata: { name: 'app-api', generation }, spec: { replicas }, status });

// The cases of kubectl's DeploymentStatusViewer (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go), in its order.
describe('rolloutState decides as kubectl rollout status', () => {
  it('waits while the controller has not observed the latest generation, even with a stale deadline condition', () => {
    const stale = deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
    expect(rolloutState(stale)).toEqual({ state: 'waiting', message: 'deployment "app-api": waiting for the spec update to be observed' });
  });

  it('fails on Progressing/ProgressDeadlineExceeded once observed, with the condition message', () => {
    const timedOut = deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "app-api-abc" has timed out progressing.' }] });
    expect(rolloutState(timedOut)).toEqual({ state: 'failed', message: 'deployment "app-api" exceeded its progress deadline: ReplicaSet "app-api-abc" has timed out progressing.' });
  });

  it('waits for updated replicas, then for old replicas to go, then for availability', () => {
    expect(rolloutState(deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2 })).message).toBe('deployment "app-api": 1 out of 2 new replicas have been updated');
    expect(rolloutState(deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 3 })).message).toBe('deployment "app-api": 1 old replicas are pending termination');
    expect(rolloutState(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 })).message).toBe('deployment "app-api": 1 of 2 updated replicas are available');
  });

  it('is done when caught up, all updated, no old replicas, all available (and for 0 replicas)', () => {
    expect(rolloutState(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] })).state).toBe('done');
    expect(rolloutState(deployment({ observedGeneration: 3 }, 3, 0)).state).toBe('done');
  });
});
