-- Everything here is additive or follows the expand/contract recipe: no finding at all.
CREATE TABLE IF NOT EXISTS invoices (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL,
  total_cents integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE users ADD COLUMN IF NOT EXISTS locale text DEFAULT 'en';
ALTER TABLE users ADD COLUMN score integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT now();
ALTER TABLE users ADD COLUMN touched_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_nickname_idx ON users (nickname);
CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
ALTER TABLE users ADD CONSTRAINT users_email_unique UNIQUE USING INDEX users_email_key;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total_cents >= 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;
ALTER TABLE orders ALTER COLUMN note DROP NOT NULL;
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';
CREATE VIEW active_users AS SELECT id, email FROM users WHERE deleted_at IS NULL;
CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
INSERT INTO settings (key, value) VALUES ('dark_mode', 'off') ON CONFLICT (key) DO NOTHING;
UPDATE users SET nickname = email WHERE nickname IS NULL AND id < 10000;
DELETE FROM sessions WHERE expires_at < now() - interval '30 days';
COMMENT ON COLUMN users.nickname IS 'DROP TABLE in a comment string is only text';
GRANT SELECT ON active_users TO reporting;
CREATE SEQUENCE IF NOT EXISTS invoice_numbers;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
ALTER INDEX users_nickname_idx RENAME TO users_nick_idx;
ALTER TABLE orders RENAME CONSTRAINT orders_total_positive TO orders_total_nonnegative;
ANALYZE users;
SET lock_timeout = '2s';
