ALTER TABLE users ADD COLUMN nickname text;
SELECT 'this string never ends;
DROP TABLE sessions;
