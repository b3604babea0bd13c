ALTER TYPE order_status ADD VALUE 'on_hold' BEFORE 'shipped';
ALTER TYPE order_status RENAME VALUE 'cancelled' TO 'canceled';
ALTER TYPE order_status RENAME TO order_state;
CREATE TYPE order_state_v2 AS ENUM ('new', 'paid', 'shipped');
ALTER TABLE orders ALTER COLUMN status TYPE order_state_v2 USING status::text::order_state_v2;
DROP TYPE order_state;
CREATE DOMAIN cents AS bigint CHECK (VALUE >= 0);
DROP DOMAIN cents;
ALTER TYPE address ADD ATTRIBUTE zip text;
