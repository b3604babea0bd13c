-- SQLite, linted with --engine sqlite (best effort).
PRAGMA foreign_keys = off;
BEGIN TRANSACTION;
CREATE TABLE notes_new (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
INSERT INTO notes_new (id, body) SELECT id, body FROM notes;
DROP TABLE notes;
ALTER TABLE notes_new RENAME TO notes;
ALTER TABLE tags ADD COLUMN color TEXT;
ALTER TABLE tags ADD COLUMN weight INTEGER NOT NULL;
ALTER TABLE tags DROP COLUMN legacy;
ALTER TABLE tags RENAME COLUMN label TO name;
CREATE TRIGGER tags_touch AFTER UPDATE ON tags BEGIN
  UPDATE tags SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
DELETE FROM tag_cache;
COMMIT;
PRAGMA foreign_keys = on;
