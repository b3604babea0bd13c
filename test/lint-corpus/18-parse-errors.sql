ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE users ADD COLUMN ,, broken;
CREATE INDEX users_nickname_idx ON users (nickname);
SELEC 1;
DROP TABLE sessions;
