import { hostname, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';

export const now = (): number => Date.now();

/** Who is acting, for the audit log: REWIND_ACTOR, else user@host. */
export function currentActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REWIND_ACTOR) return env.REWIND_ACTOR;
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `${user}@${hostname()}`;
}

/** Sortable, unique ids: op_<time36><random>. */
export function newOperationId(at: number = Date.now()): string {
  return `op_${at.toString(36)}${randomBytes(5).toString('hex')}`;
}
