import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { VERCEL_TARGET_TYPE, vercelTargetSchema, type VercelTargetConfig } from './vercel-config.js';

/**
 * A Vercel project's production: a release is one existing deployment (found at register by its
 * git commit or a `meta` value, and recorded by id); activate promotes it and waits until the
 * project's production points at it. A rollback is the same promote, of the LKG's deployment.
 */
export const vercelTargetDefinition: TargetDefinition<VercelTargetConfig> = {
  kind: 'target',
  name: VERCEL_TARGET_TYPE,
  type: VERCEL_TARGET_TYPE,
  configSchema: vercelTargetSchema,
  resolvePaths(config, at) {
    config.stateDir = at.abs(config.stateDir ?? `rewind-vercel/${at.env}`);
  },
  // The token is not in the config, but it is a secret of this target: registered for redaction, so
  // were an answer from Vercel ever to echo it, the redactor masks it in every output and record.
  secrets: (config) => {
    const token = process.env[config.tokenEnv];
    return token ? [token] : [];
  },
  // Deployments, not files: migrations cannot be read from a release here.
  releaseFiles: false,
  // Promoting re-points the production aliases at a deployment that is already built and running:
  // one switch, requests in flight finish on the old deployment, and rolling back is the same switch.
  capabilities: { atomicSwitch: true, keepsPreviousWarm: true, zeroDowntimeReload: true, nativeRollback: true },
  load: async () => {
    const { VercelTarget } = await import('./vercel-target.js');
    return (config, deps) => new VercelTarget(config as VercelTargetConfig & { stateDir: string }, deps.capabilities);
  },
};
