import type { RuleClass, RuleCode, Severity } from './lint-types.js';

/**
 * Every rule the migration lint knows, in one table: the CLI help, docs/lint.md, the SARIF rule
 * list and the findings all read from here, so a code never means two things. Codes are stable:
 * retire a code rather than reuse it.
 */
export interface RuleSpec {
  code: RuleCode;
  class: RuleClass;
  severity: Severity;
  /** A few words, used as the SARIF rule name and in `--help`. */
  title: string;
  /** The safe way to reach the same schema (expand/contract), shown with every finding. */
  alternative: string;
}

const rule = (code: RuleCode, cls: RuleClass, severity: Severity, title: string, alternative: string): RuleSpec => ({
  code,
  class: cls,
  severity,
  title,
  alternative,
});

const DUAL_WRITE =
  'expand/contract: add the new column (or table) next to the old one, dual-write from the new release, backfill in batches, switch reads, and drop the old one only in a later release once no running or rollback-target release uses it';
const DROP_LATER = 'stop using it in code first; drop it in a later release, once no release you might roll back to reads it';

export const RULES: readonly RuleSpec[] = [
  // RW0xx: what the linter itself could not check, or annotations and files that are wrong as written.
  rule('RW001', 'unchecked', 'error', 'SQL the parser cannot read', 'fix the syntax, or if the parser is wrong, review the statement by hand and suppress with `-- rewind:ignore RW001 <what you checked>`'),
  rule('RW002', 'unchecked', 'warning', 'dynamic SQL cannot be checked', 'write the DDL as plain statements instead of EXECUTE or a non-plpgsql DO block; if it must stay dynamic, review it and suppress with a reason'),
  rule('RW003', 'invalid', 'error', 'suppression without a code and a reason', 'write `-- rewind:ignore RW123 <why this is safe here>`: the reason is what a reviewer reads later'),
  rule('RW004', 'invalid', 'error', 'statement cannot run inside a transaction block', 'move CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and VACUUM out of BEGIN…COMMIT (and out of DO blocks) into a migration of their own that the tool runs without a transaction'),
  rule('RW005', 'invalid', 'warning', 'suppression that matches nothing', 'remove the comment, fix the rule code, or put it on the line just above (or on the same line as) the statement it is meant for'),

  // RW1xx breaking: the previous release's code fails against the new schema.
  rule('RW101', 'breaking', 'error', 'drop table', DROP_LATER),
  rule('RW102', 'breaking', 'error', 'drop column', DROP_LATER),
  rule('RW103', 'breaking', 'error', 'rename table, view or sequence', `${DUAL_WRITE}; or create the new name and keep a view with the old name until no release uses it`),
  rule('RW104', 'breaking', 'error', 'rename column', DUAL_WRITE),
  rule('RW105', 'breaking', 'error', 'change column type', `${DUAL_WRITE} (a new column of the new type)`),
  rule('RW106', 'breaking', 'error', 'add NOT NULL column without default', 'add the column nullable (or with a constant DEFAULT), backfill in batches, then ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, and SET NOT NULL in a later release'),
  rule('RW107', 'breaking', 'error', 'set NOT NULL on an existing column', 'make the new release write the column first; then ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, and SET NOT NULL in a later release once no rollback target writes NULL'),
  rule('RW108', 'breaking', 'error', 'drop a column default or identity', 'keep the default until no release relies on it (the previous release may insert without naming the column); drop it in a later release'),
  rule('RW109', 'breaking', 'error', 'drop a constraint', 'keep the constraint until no release relies on it (ON CONFLICT needs its unique index, cascades need the foreign key); drop it in a later release'),
  rule('RW110', 'breaking', 'error', 'rename an enum value', 'add the new value with ALTER TYPE … ADD VALUE, write it from the new release, migrate rows in batches, and stop using the old value before retiring it'),
  rule('RW111', 'breaking', 'error', 'truncate table', 'delete old rows in batches with a WHERE clause from a job, after the code stops reading them; keep a backup'),
  rule('RW112', 'breaking', 'error', 'drop schema', DROP_LATER),
  rule('RW113', 'breaking', 'error', 'drop view or materialized view', DROP_LATER),
  rule('RW114', 'breaking', 'error', 'drop type or domain', DROP_LATER),
  rule('RW115', 'breaking', 'error', 'drop function or procedure', `${DROP_LATER}; to change a signature, create the new function next to the old one`),
  rule('RW116', 'breaking', 'error', 'drop sequence', DROP_LATER),
  rule('RW117', 'breaking', 'error', 'rename schema, function or type', 'create the new object next to the old one, move callers in the new release, and drop the old one in a later release'),
  rule('RW118', 'breaking', 'error', 'move an object to another schema', 'create the object in the new schema (or a view/wrapper there), move callers, and remove the old one in a later release'),
  rule('RW119', 'breaking', 'error', 'drop extension', DROP_LATER),

  // RW2xx locking: strong locks or table rewrites while traffic waits.
  rule('RW201', 'locking', 'warning', 'CREATE INDEX without CONCURRENTLY', 'CREATE INDEX CONCURRENTLY (outside a transaction block), and drop the INVALID index and retry if it fails'),
  rule('RW202', 'locking', 'warning', 'foreign key validated while locking', 'ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT in a separate statement (it takes a weaker lock)'),
  rule('RW203', 'locking', 'warning', 'CHECK constraint validated while locking', 'ADD CONSTRAINT … CHECK (…) NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT in a separate statement'),
  rule('RW204', 'locking', 'warning', 'SET NOT NULL scans the table under an exclusive lock', 'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the CHECK'),
  rule('RW205', 'locking', 'warning', 'ADD COLUMN that rewrites the table', 'add the column without the volatile default (a constant default is fine on PostgreSQL 11+), set the default afterwards, and backfill existing rows in batches'),
  rule('RW206', 'locking', 'warning', 'PRIMARY KEY / UNIQUE / EXCLUDE builds an index under lock', 'CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … PRIMARY KEY / UNIQUE USING INDEX <index>'),
  rule('RW207', 'locking', 'warning', 'VACUUM FULL', 'use plain VACUUM, or pg_repack / pg_squeeze to compact a table without an exclusive lock'),
  rule('RW208', 'locking', 'warning', 'CLUSTER', 'use pg_repack to reorder a table online; do not CLUSTER in a migration'),
  rule('RW209', 'locking', 'warning', 'REINDEX without CONCURRENTLY', 'REINDEX … CONCURRENTLY (PostgreSQL 12+), outside a transaction block'),
  rule('RW210', 'locking', 'warning', 'column type change rewrites the table', 'add a new column of the new type, backfill it in batches, switch reads, and drop the old column later'),
  rule('RW211', 'locking', 'warning', 'explicit LOCK TABLE', 'avoid explicit locks in migrations; if one is needed, SET lock_timeout first so waiting queries do not pile up behind it'),
  rule('RW212', 'locking', 'warning', 'DROP INDEX without CONCURRENTLY', 'DROP INDEX CONCURRENTLY, outside a transaction block'),
  rule('RW213', 'locking', 'warning', 'REFRESH MATERIALIZED VIEW without CONCURRENTLY', 'REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view), or refresh from a job outside the migration'),
  rule('RW214', 'locking', 'warning', 'ALTER TABLE that rewrites the table', 'create a new table with the wanted storage, copy in batches and swap, or use pg_repack; do not rewrite a live table in a migration'),

  // RW3xx irreversible: a down migration cannot bring the data back.
  rule('RW301', 'irreversible', 'warning', 'drop table deletes its rows', 'take and verify a backup first; rename the table aside (in a later release) and drop it only after a retention period'),
  rule('RW302', 'irreversible', 'warning', 'drop column deletes its values', 'copy the column to an archive table first, or keep it unused for a retention period before dropping it'),
  rule('RW303', 'irreversible', 'warning', 'truncate deletes every row', 'copy the rows to an archive table first, or delete in batches with a WHERE clause'),
  rule('RW304', 'irreversible', 'warning', 'DELETE without WHERE', 'add a WHERE clause naming the rows; delete in batches from a job; keep the deleted rows in an archive table'),
  rule('RW305', 'irreversible', 'warning', 'UPDATE without WHERE', 'write the new values to a new column instead of overwriting; or add a WHERE clause and keep the old values in an archive table'),
  rule('RW306', 'irreversible', 'warning', 'DROP … CASCADE drops objects it does not name', 'drop the dependent objects explicitly, one statement each, so the migration says what it removes'),
  rule('RW307', 'irreversible', 'warning', 'drop type or domain', 'a down migration can recreate the type but not the columns CASCADE removed; take a backup and drop only unused types'),
  rule('RW308', 'irreversible', 'warning', 'drop sequence loses its position', 'keep the sequence; a recreated one restarts at 1 and collides with existing ids'),
];

const BY_CODE = new Map<string, RuleSpec>(RULES.map((r) => [r.code, r]));

export function ruleSpec(code: RuleCode): RuleSpec {
  const spec = BY_CODE.get(code);
  if (!spec) throw new Error(`unknown lint rule ${code}`); // a programming error: every emitted code is in the table
  return spec;
}

export const isRuleCode = (value: string): value is RuleCode => BY_CODE.has(value);
