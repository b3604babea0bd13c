/**
 * PostgreSQL point-in-time recovery (PITR): check that continuous WAL archiving really works, take a
 * physical base backup, and restore one into a NEW data directory replayed up to a chosen time.
 *
 * The source server is never touched: checks are read-only queries, the base backup goes through the
 * replication protocol, and a restore always builds a separate cluster on its own port. Every process
 * (pg_basebackup, pg_verifybackup, cp, chown, pg_ctl) runs as an argv array through the Executor.
 *
 * Two strings do reach a shell, and both are built here with quoting that matches that shell:
 * - `restore_command` is run by the restored server through `/bin/sh -c`, after the server has read it
 *   as a config-file string and expanded its `%` placeholders (see `buildRestoreCommand`);
 * - `pg_ctl start` runs postgres through `/bin/sh -c` with the data directory and log path inside
 *   double quotes, so those two paths must not hold `"`, `$`, `` ` ``, `\` or control characters
 *   (they are refused, see `assertPgCtlSafePath`).
 *
 * This module is what PostgresEngine loads when PITR is used (never on other paths); the work is in
 * postgres-pitr-check, -base-backup and -restore, with the quoting, times and connection helpers beside them.
 */

export type { PitrCheck, PitrCheckResult, CheckPitrOptions, BaseBackup, TakeBaseBackupOptions, RestoreToTimeOptions, RestoreToTimeResult } from '../../../ports/database-pitr.js';
export { takeBaseBackup } from './postgres-pitr-base-backup.js';
export { checkPitr } from './postgres-pitr-check.js';
export { buildRestoreCommand, quoteConfString, quoteServerCommandArg } from './postgres-pitr-quoting.js';
export { restoreToTime } from './postgres-pitr-restore.js';
export { parseIsoInstant } from './postgres-pitr-times.js';
