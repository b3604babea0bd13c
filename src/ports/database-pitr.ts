import type { BackupArtifact } from './backup-artifact.js';
import type { Executor } from './executor.js';

/*
 * PostgreSQL point-in-time recovery as the core sees it: check archiving, take a base backup,
 * restore one into a new cluster up to a time. The PostgreSQL adapter (adapters/databases/
 * postgres-pitr.ts) implements it; engines without PITR do not offer it.
 */

/** One verdict of `checkPitr`. `name` is the setting or view it judged; a failed `detail` says what to change. */
export interface PitrCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface PitrCheckResult {
  /** True when every check passed. */
  ok: boolean;
  checks: PitrCheck[];
}

export interface CheckPitrOptions {
  /** `postgres://user:password@host:port/db` of the running server (a role that may read pg_settings and pg_stat_archiver). */
  url: string;
  /**
   * The WAL archive when it is a directory readable from here (the place archive_command copies to).
   * Given, its segment files are checked for gaps; omitted, only the server side is checked.
   */
  archiveDir?: string;
}

/** A physical base backup in pg_basebackup's plain format: a directory that is a copy of the data directory. */
export interface BaseBackup extends BackupArtifact {
  format: 'pg-basebackup-plain';
  /** Server clock (UTC, ISO 8601 with microseconds) just before pg_basebackup started. */
  startTime: string;
  /** Server clock just after pg_basebackup finished: the earliest time a restore of this backup can target. */
  endTime: string;
  /** WAL range the backup needs, from its backup_manifest (`0/2000028`-style LSNs). */
  startLsn: string;
  endLsn: string;
  timeline: number;
  /** `server_version_num` of the source, e.g. 150020; a restore needs binaries of the same major version. */
  serverVersion: number;
}

export interface TakeBaseBackupOptions {
  /** Source server URL; the role needs the REPLICATION attribute and a `replication` line in pg_hba.conf. */
  url: string;
  /** Directory to create (must not exist). Written as `<destination>.partial` and renamed when complete and verified. */
  destination: string;
  executor: Executor;
  /** Directory holding pg_basebackup / pg_verifybackup (e.g. /usr/lib/postgresql/15/bin); default: PATH. */
  binDir?: string;
  timeoutMs?: number;
}

export interface RestoreToTimeOptions {
  /** What `takeBaseBackup` returned (as recorded in the ledger); its sha256 is checked before anything is written. */
  backup: BaseBackup;
  /** The WAL archive directory, on this host. Quoted into restore_command; control characters are refused. */
  archiveDir: string;
  /** Recovery target: ISO 8601 with a zone (`2026-05-01T12:00:00Z`, `…+02:00`, psql's `2026-05-01 12:00:00.123+00`). */
  targetTime: string;
  /** The new data directory: must not exist (its parent must) or be an empty directory. Removed again if the restore fails. */
  dataDir: string;
  /** Port the restored server listens on; must be free. */
  port: number;
  executor: Executor;
  /** Directory holding pg_ctl / pg_verifybackup of the backup's major version; default: PATH. */
  binDir?: string;
  /**
   * OS user to own the new data directory and run the server as (through `runuser -u <user> --`).
   * Needed when rewind runs as root, which postgres refuses; omit it to run as the current user.
   */
  osUser?: string;
  /** `listen_addresses` of the restored server. Default `127.0.0.1`: it holds past data, so apps must not reach it by accident. */
  listenAddresses?: string;
  /** Role, password and database used to watch recovery over TCP at 127.0.0.1:<port>; the backup's pg_hba.conf applies. Default `postgres`. */
  user?: string;
  password?: string;
  database?: string;
  /** Server log for pg_ctl (`-l`); default `<dataDir>.restore.log`. It is kept when a restore fails. */
  logFile?: string;
  /** `recovery_target_timeline`; default `latest` (PostgreSQL's default). */
  targetTimeline?: 'latest' | 'current' | number;
  /** How long recovery may take before it is stopped and reported as failed. Default one hour. */
  timeoutMs?: number;
}

export interface RestoreToTimeResult {
  dataDir: string;
  port: number;
  /** PID of the restored server's postmaster (it keeps running; stop it with `pg_ctl stop -D <dataDir>`). */
  pid: number;
  logFile: string;
  /** The target as given, normalised to UTC (ISO 8601, microseconds). */
  targetTime: string;
  /** Commit time of the last transaction replayed (`pg_last_xact_replay_timestamp()`), UTC ISO; null when none was. */
  lastReplayedCommit: string | null;
  /** The server's own account of where it stopped, e.g. `recovery stopping before commit of transaction 745, time …`. */
  stoppedAt?: string;
  /** Timeline the promoted server now writes (a new one, branched at the target). */
  timeline: number;
  lsn: string;
  durationMs: number;
}

/** What an engine with point-in-time recovery offers (PostgreSQL); `url` and the tools come from the engine's config. */
export interface PitrSupport {
  check(options: Omit<CheckPitrOptions, 'url'>): Promise<PitrCheckResult>;
  baseBackup(options: Omit<TakeBaseBackupOptions, 'url' | 'executor' | 'binDir'>): Promise<BaseBackup>;
  restoreToTime(options: Omit<RestoreToTimeOptions, 'executor' | 'binDir'>): Promise<RestoreToTimeResult>;
}
