-- DDL that only appears inside comments, strings and dollar quotes must not count.
-- DROP TABLE x
/* DROP TABLE y; ALTER TABLE users DROP COLUMN email; */
SELECT '--'; DROP TABLE films;
SELECT 'ALTER TABLE t DROP COLUMN c';
SELECT $$DROP TABLE z$$;
SELECT $tag$ TRUNCATE accounts; $tag$ AS note;
SELECT E'it\'s not -- a comment; DROP TABLE w';
/* outer /* nested */ DROP TABLE still_a_comment; */
SELECT 1; -- ; DROP TABLE after_comment
SELECT '/* not a comment */' AS a; DELETE FROM audit_log;
SELECT "DROP TABLE" FROM weird_names;
SELECT 'ALTER TABLE users ALTER COLUMN id TYPE bigint' || ' -- ' || $$ ; CREATE INDEX i ON t (a) $$;
