import type { Generated } from 'kysely';

/** Row shapes as stored. Times are epoch milliseconds; JSON is stored as text on both dialects. */
export interface LedgerTables {
  environments: { name: string; current_version: string | null; updated_at: number };
  releases: {
    id: Generated<number>;
    env: string;
    version: string;
    seq: number;
    artifact: string;
    digest: string;
    commit_sha: string | null;
    ci: string;
    state: string;
    good_seq: number | null;
    database_facts: string | null;
    drill: number;
    /** When the commit was made (epoch ms), as `release register --commit-time` gave it; null: not given. */
    committed_at: number | null;
    created_at: number;
    updated_at: number;
  };
  operations: {
    id: string;
    env: string;
    kind: string;
    from_version: string | null;
    to_version: string;
    state: string;
    plan: string;
    actor: string;
    parent_id: string | null;
    reason: string | null;
    error: string | null;
    started_at: number;
    finished_at: number | null;
  };
  steps: {
    operation_id: string;
    idx: number;
    step_id: string;
    kind: string;
    state: string;
    attempt: number;
    detail: string;
    started_at: number;
    finished_at: number | null;
  };
  events: {
    id: Generated<number>;
    at: number;
    env: string;
    operation_id: string | null;
    event: string;
    actor: string;
    from_version: string | null;
    to_version: string | null;
    data: string;
  };
  backups: {
    id: Generated<number>;
    env: string;
    release_version: string | null;
    kind: string;
    engine: string;
    format: string;
    path: string;
    size: number;
    sha256: string;
    migration_state: string;
    row_counts: string;
    created_at: number;
    deleted_at: number | null;
    test_restore: string | null;
  };
  drills: {
    id: Generated<number>;
    env: string;
    kind: string;
    failure: string | null;
    state: string;
    actor: string;
    forced_reason: string | null;
    from_version: string | null;
    drill_version: string | null;
    backup_id: number | null;
    deploy_operation_id: string | null;
    rollback_operation_id: string | null;
    ttd_ms: number | null;
    ttr_ms: number | null;
    detail: string;
    started_at: number;
    finished_at: number | null;
    owner_host: string | null;
    owner_pid: number | null;
  };
  locks: {
    env: string;
    token: string;
    holder: string;
    host: string;
    pid: number;
    operation_id: string | null;
    acquired_at: number;
    heartbeat_at: number;
    expires_at: number;
  };
  incidents: {
    id: Generated<number>;
    env: string;
    status: string;
    severity: string;
    rollbacks: string;
    fields: string;
    opened_at: number;
    closed_at: number | null;
    closed_by: string | null;
    updated_at: number;
  };
  incident_operations: { operation_id: string; incident_id: number };
  checklist_ticks: { operation_id: string; item: string; note: string; actor: string; at: number };
  notify_outbox: {
    id: Generated<number>;
    key: string;
    env: string;
    notifier: string;
    destination: string;
    label: string;
    event: string;
    operation_id: string | null;
    payload: string;
    state: string;
    attempts: number;
    next_attempt_at: number;
    claimed_by: string | null;
    claimed_until: number | null;
    last_error: string | null;
    created_at: number;
    queued_at: number;
    updated_at: number;
    delivered_at: number | null;
  };
}
