import { randomBytes } from 'node:crypto';

/**
 * A scratch database's name on a server engine (PostgreSQL, MySQL): `rewind_scratch_<16 hex>`,
 * recognisable, and safe to drop, if a crash ever leaves one behind.
 */
export const SCRATCH_DATABASE_PREFIX = 'rewind_scratch_';

export function scratchDatabaseName(): string {
  return `${SCRATCH_DATABASE_PREFIX}${randomBytes(8).toString('hex')}`;
}
