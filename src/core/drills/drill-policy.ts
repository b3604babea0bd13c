import type { EnvironmentConfig } from '../../config/config-schema.js';
import { RewindError } from '../../errors/rewind-error.js';

/** Whether `env` is production: `environments.<env>.production`, else true only for the environment named `production`. */
export function isProductionEnvironment(env: string, config: EnvironmentConfig): boolean {
  return config.production ?? env === 'production';
}

export interface DrillPermission {
  force?: boolean;
  reason?: string;
}

/**
 * A drill breaks the environment on purpose for a few seconds: never production unless a person
 * says so with --force and a reason (which the drill's start event and row record). Returns the
 * reason that made a production drill allowed, null for a non-production environment.
 */
export function permitDrill(env: string, config: EnvironmentConfig, permission: DrillPermission): string | null {
  const reason = permission.reason?.trim();
  if (permission.force && !reason) throw new RewindError('REWIND_E_USAGE', '--force needs --reason "<why>": a drill on production is audited with its reason', { argument: '--reason' });
  if (!isProductionEnvironment(env, config)) return null;
  if (!permission.force) {
    throw new RewindError('REWIND_E_DRILL_PRODUCTION', `${env} is a production environment${config.production === undefined ? ' (it is named production)' : ' (environments.' + env + '.production: true)'}: drills run elsewhere. Nothing was changed`, { env });
  }
  return reason!;
}
