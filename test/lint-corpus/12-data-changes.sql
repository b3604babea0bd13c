DELETE FROM sessions;
DELETE FROM sessions WHERE user_id IS NULL;
DELETE FROM sessions USING users WHERE sessions.user_id = users.id AND users.deleted;
UPDATE users SET plan = 'free';
UPDATE users SET plan = 'free' WHERE plan IS NULL;
WITH stale AS (SELECT id FROM carts WHERE updated_at < now() - interval '90 days')
DELETE FROM carts WHERE id IN (SELECT id FROM stale);
TRUNCATE audit_log;
TRUNCATE TABLE audit_log, audit_archive RESTART IDENTITY CASCADE;
CREATE TABLE import_staging (line text);
INSERT INTO import_staging SELECT line FROM raw_import;
DELETE FROM import_staging;
UPDATE import_staging SET line = trim(line);
TRUNCATE import_staging;
INSERT INTO plans (name) SELECT DISTINCT plan FROM users;
