import { describe, expect, it } from 'vitest';
import { targetSchema } from '../../../config/config-schema.js';
import { kubernetesTargetSchema } from './kubernetes-config.js';

describe('kubernetes target config', () => {
  it('takes namespace and deployments, with defaults for the rest, through the config union', () => {
    const parsed = targetSchema.parse({ type: 'kubernetes', namespace: 'shop', deployments: [{ name: 'app-api' }, { name: 'app-web', containers: ['web'] }] });
    expect(parsed).toEqual({ type: 'kubernetes', namespace: 'shop', deployments: [{ name: 'app-api' }, { name: 'app-web', containers: ['web'] }], keep: 5, rolloutTimeoutMs: 600_000 });
  });

  it('refuses names Kubernetes would refuse, an empty deployment list and unknown keys', () => {
    expect(kubernetesTargetSchema.safeParse({ type: 'kubernetes', namespace: 'Shop', deployments: [{ name: 'a' }] }).success).toBe(false);
    expect(kubernetesTargetSchema.safeParse({ type: 'kubernetes', namespace: 'shop', deployments: [{ name: 'app_api' }] }).success).toBe(false);
    expect(kubernetesTargetSchema.safeParse({ type: 'kubernetes', namespace: 'shop', deployments: [] }).success).toBe(false);
    expect(kubernetesTargetSchema.safeParse({ type: 'kubernetes', namespace: 'shop', deployments: [{ name: 'a' }], runtime: { type: 'pm2' } }).success).toBe(false);
  });
});
