-- rewind:ignore RW102 legacy_flag unused since 2.3, archived by ops/archive.sql
ALTER TABLE users DROP COLUMN legacy_flag;
DROP TABLE tmp_import; -- rewind:ignore RW101,RW301 scratch table, never read by the app
-- rewind:ignore RW201 table holds 40 rows
-- (checked in production on 2024-05-01)
CREATE INDEX countries_code_idx ON countries (code);
/* rewind:ignore RW107 RW204 backfilled and checked; column is never NULL */ ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users -- rewind:ignore RW105: bigint is binary-compatible here after review
  ALTER COLUMN counter TYPE bigint;
-- rewind:ignore RW101
DROP TABLE old_sessions;
-- rewind:ignore drop is fine
DROP TABLE old_tokens;
-- rewind:ignore RW999 no such rule
CREATE INDEX a_idx ON a (x);
-- rewind:ignore RW101 nothing to suppress here
CREATE TABLE brand_new (id int);
-- rewind:ignore RW201 a blank line separates this comment from the statement

CREATE INDEX b_idx ON b (x);
SELECT '-- rewind:ignore RW304 inside a string, not a comment'; DELETE FROM queue;
SELECT 1; -- rewind:ignore RW304 trailing comment of SELECT, line before the DELETE
DELETE FROM jobs;
