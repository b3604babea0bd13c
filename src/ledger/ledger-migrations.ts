import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * The ledger's own schema history. Migrations are append-only: a released one is never edited,
 * a change is a new entry. Each gets the dialect because autoincrement and triggers differ.
 */
type Dialect = 'sqlite' | 'postgres';

function migrations(dialect: Dialect): Record<string, Migration> {
  const pg = dialect === 'postgres';
  const time = pg ? 'bigint' : 'integer';
  return {
    '0001_initial': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('environments')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('current_version', 'text')
          .addColumn('updated_at', time, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('releases')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('env', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('artifact', 'text', (c) => c.notNull())
          .addColumn('digest', 'text', (c) => c.notNull())
          .addColumn('commit_sha', 'text')
          .addColumn('ci', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('good_seq', 'integer')
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .addUniqueConstraint('releases_env_version', ['env', 'version'])
          .execute();
        await db.schema.createIndex('releases_env_seq').on('releases').columns(['env', 'seq']).execute();
        await db.schema.createIndex('releases_env_good_seq').on('releases').columns(['env', 'good_seq']).execute();

        await db.schema
          .createTable('operations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('env', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('from_version', 'text')
          .addColumn('to_version', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('plan', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('parent_id', 'text')
          .addColumn('reason', 'text')
          .addColumn('error', 'text')
          .addColumn('started_at', time, (c) => c.notNull())
          .addColumn('finished_at', time)
          .execute();
        await db.schema.createIndex('operations_env_started').on('operations').columns(['env', 'started_at']).execute();
        await db.schema.createIndex('operations_state').on('operations').columns(['state']).execute();

        await db.schema
          .createTable('steps')
          .addColumn('operation_id', 'text', (c) => c.notNull())
          .addColumn('idx', 'integer', (c) => c.notNull())
          .addColumn('step_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull())
          .addColumn('started_at', time, (c) => c.notNull())
          .addColumn('finished_at', time)
          .addPrimaryKeyConstraint('steps_pk', ['operation_id', 'idx'])
          .execute();

        await db.schema
          .createTable('events')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('env', 'text', (c) => c.notNull())
          .addColumn('operation_id', 'text')
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('from_version', 'text')
          .addColumn('to_version', 'text')
          .addColumn('data', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('events_env_id').on('events').columns(['env', 'id']).execute();
        await db.schema.createIndex('events_operation').on('events').columns(['operation_id']).execute();

        // The audit log is append-only at the schema level, not only by convention in our code.
        if (pg) {
          await sql`CREATE FUNCTION rewind_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'events are append-only'; END; $$`.execute(db);
          await sql`CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION rewind_events_append_only()`.execute(db);
        } else {
          await sql`CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`.execute(db);
          await sql`CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`.execute(db);
        }

        await db.schema
          .createTable('locks')
          .addColumn('env', 'text', (c) => c.primaryKey())
          .addColumn('token', 'text', (c) => c.notNull())
          .addColumn('holder', 'text', (c) => c.notNull())
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('pid', 'integer', (c) => c.notNull())
          .addColumn('operation_id', 'text')
          .addColumn('acquired_at', time, (c) => c.notNull())
          .addColumn('heartbeat_at', time, (c) => c.notNull())
          .addColumn('expires_at', time, (c) => c.notNull())
          .execute();
      },
    },
    '0003_backups': {
      async up(db: Kysely<any>) {
        // Database backups taken by rewind: where, how big, their sha256, and what they contained.
        await db.schema
          .createTable('backups')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('env', 'text', (c) => c.notNull())
          .addColumn('release_version', 'text')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('engine', 'text', (c) => c.notNull())
          .addColumn('format', 'text', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('size', pg ? 'bigint' : 'integer', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('migration_state', 'text', (c) => c.notNull())
          .addColumn('row_counts', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('deleted_at', time)
          .execute();
        await db.schema.createIndex('backups_env_created').on('backups').columns(['env', 'created_at']).execute();
        await db.schema.createIndex('backups_env_release_kind').on('backups').columns(['env', 'release_version', 'kind']).execute();
      },
    },
    '0004_operations_env_state': {
      async up(db: Kysely<any>) {
        // findRunningOperations(env) runs before every deploy and rollback and in status. Without this,
        // SQLite answers it through operations_env_started, reading every operation of the environment
        // (≈230 ms at 100k operations, see docs/benchmarks.md); with it, it is one index seek.
        await db.schema.createIndex('operations_env_state_started').on('operations').columns(['env', 'state', 'started_at']).execute();
      },
    },
    '0005_release_database': {
      async up(db: Kysely<any>) {
        // What a release did to the database when it was deployed (migrations applied, their lint
        // verdict, the pre-upgrade backup): the facts the database-aware rollback decides from.
        await db.schema.alterTable('releases').addColumn('database_facts', 'text').execute();
      },
    },
    '0006_releases_digest': {
      async up(db: Kysely<any>) {
        // The artifact store keeps one entry per digest; pruning it asks which releases, in any
        // environment, still name a digest. Without this, each question reads every release.
        await db.schema.createIndex('releases_digest').on('releases').columns(['digest']).execute();
      },
    },
    '0007_notify_outbox': {
      async up(db: Kysely<any>) {
        // Notifications are written here in the operation's path (one insert) and sent by whoever
        // runs next: a receiver that hangs or fails costs the operation nothing, and a process that
        // dies before sending leaves the row for the next command (docs/config.md, "Delivery").
        await db.schema
          .createTable('notify_outbox')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('key', 'text', (c) => c.notNull().unique())
          .addColumn('env', 'text', (c) => c.notNull())
          .addColumn('notifier', 'text', (c) => c.notNull())
          .addColumn('destination', 'text', (c) => c.notNull())
          .addColumn('label', 'text', (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('operation_id', 'text')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', time, (c) => c.notNull())
          .addColumn('claimed_by', 'text')
          .addColumn('claimed_until', time)
          .addColumn('last_error', 'text')
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('queued_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .addColumn('delivered_at', time)
          .execute();
        // The sender's question (what is due) and status's (how many of each, per environment).
        await db.schema.createIndex('notify_outbox_state_due').on('notify_outbox').columns(['state', 'next_attempt_at']).execute();
        await db.schema.createIndex('notify_outbox_env_state').on('notify_outbox').columns(['env', 'state']).execute();
      },
    },
    '0008_incidents': {
      async up(db: Kysely<any>) {
        // Incidents (one open per environment; every rollback opens or joins one) and the checklist
        // items people tick. rewind's own ticks and the timeline are read from the journal, not stored.
        await db.schema
          .createTable('incidents')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('env', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('severity', 'text', (c) => c.notNull())
          .addColumn('rollbacks', 'text', (c) => c.notNull())
          .addColumn('fields', 'text', (c) => c.notNull())
          .addColumn('opened_at', time, (c) => c.notNull())
          .addColumn('closed_at', time)
          .addColumn('closed_by', 'text')
          .addColumn('updated_at', time, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('incidents_env_status').on('incidents').columns(['env', 'status', 'id']).execute();
        await db.schema
          .createTable('incident_operations')
          .addColumn('operation_id', 'text', (c) => c.primaryKey())
          .addColumn('incident_id', pg ? 'bigint' : 'integer', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('checklist_ticks')
          .addColumn('operation_id', 'text', (c) => c.notNull())
          .addColumn('item', 'text', (c) => c.notNull())
          .addColumn('note', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('checklist_ticks_pk', ['operation_id', 'item'])
          .execute();
      },
    },
    '0009_drills': {
      async up(db: Kysely<any>) {
        // Rollback drills (docs/drills.md). A drill release is marked so it never becomes an LKG and
        // no report counts it as a deploy; a backup records its last test restore (never: untrusted).
        await db.schema.alterTable('releases').addColumn('drill', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('backups').addColumn('test_restore', 'text').execute();
        await db.schema
          .createTable('drills')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('env', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('failure', 'text')
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('forced_reason', 'text')
          .addColumn('from_version', 'text')
          .addColumn('drill_version', 'text')
          .addColumn('backup_id', pg ? 'bigint' : 'integer')
          .addColumn('deploy_operation_id', 'text')
          .addColumn('rollback_operation_id', 'text')
          .addColumn('ttd_ms', pg ? 'bigint' : 'integer')
          .addColumn('ttr_ms', pg ? 'bigint' : 'integer')
          .addColumn('detail', 'text', (c) => c.notNull())
          .addColumn('started_at', time, (c) => c.notNull())
          .addColumn('finished_at', time)
          .execute();
        await db.schema.createIndex('drills_env_started').on('drills').columns(['env', 'started_at']).execute();
      },
    },
    '0010_dora': {
      async up(db: Kysely<any>) {
        // `report dora` (docs/dora.md): the commit's own time, when `release register --commit-time`
        // gave it (lead time runs from it); and the indexes that keep the report one range scan at
        // 100k releases: a version's earlier deploys, incidents by opening time, an incident's rollbacks.
        // Numbered 0010 so the drills branch's 0009_drills stays before it whichever merges first.
        await db.schema.alterTable('releases').addColumn('committed_at', time).execute();
        await db.schema.createIndex('operations_env_version').on('operations').columns(['env', 'to_version', 'started_at']).execute();
        await db.schema.createIndex('incidents_env_opened').on('incidents').columns(['env', 'opened_at']).execute();
        await db.schema.createIndex('incident_operations_incident').on('incident_operations').columns(['incident_id']).execute();
      },
    },
    '0011_covering_indexes': {
      async up(db: Kysely<any>) {
        // `report dora` at 100k releases (docs/benchmarks.md) reads a few columns of every operation,
        // step and release in its window. Their rows are big (an operation's plan is ~4 KB of JSON, a
        // release's database facts carry the schema), and the columns it reads are stored after
        // them: in SQLite every such read walks the row's overflow pages. Indexes that hold every
        // column a query reads let both dialects answer from the index alone (SQLite's covering
        // index, PostgreSQL's index-only scan). The two wider operations indexes keep the old ones'
        // leading columns, so every query those served is served as before; the old ones go.
        await db.schema.dropIndex('operations_env_started').execute();
        await db.schema.createIndex('operations_env_started').on('operations').columns(['env', 'started_at', 'kind', 'state', 'to_version', 'from_version', 'parent_id', 'finished_at', 'id']).execute();
        await db.schema.dropIndex('operations_env_state_started').execute();
        await db.schema.createIndex('operations_env_state_started').on('operations').columns(['env', 'state', 'started_at', 'kind', 'to_version', 'from_version', 'parent_id', 'finished_at', 'id']).execute();
        // "Did this version succeed before?": one seek, with the kind and state in the key (and the
        // id, which breaks ties between deploys started in the same millisecond).
        await db.schema.dropIndex('operations_env_version').execute();
        await db.schema.createIndex('operations_env_version').on('operations').columns(['env', 'to_version', 'kind', 'state', 'started_at', 'id']).execute();
        await db.schema.createIndex('releases_env_version_times').on('releases').columns(['env', 'version', 'created_at', 'committed_at', 'drill']).execute();
        await db.schema.createIndex('steps_operation_kind').on('steps').columns(['operation_id', 'kind', 'state', 'started_at', 'finished_at']).execute();
      },
    },
    '0012_drill_owner': {
      async up(db: Kysely<any>) {
        // The process that runs a drill (host and pid). A drill whose process died (a second Ctrl-C,
        // SIGKILL, a lost runner) would otherwise say `running` forever; with its owner recorded, the
        // next drill and `rewind resume` on that host can see it is gone and close the row.
        await db.schema.alterTable('drills').addColumn('owner_host', 'text').execute();
        await db.schema.alterTable('drills').addColumn('owner_pid', 'integer').execute();
      },
    },
  };
}

/** The highest migration name, computed so that adding an entry cannot leave it behind. */
export const LATEST_LEDGER_MIGRATION = Object.keys(migrations('sqlite')).sort().at(-1)!;
export const MIGRATION_TABLE = 'rewind_migration';
export const MIGRATION_LOCK_TABLE = 'rewind_migration_lock';

export function ledgerMigrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
