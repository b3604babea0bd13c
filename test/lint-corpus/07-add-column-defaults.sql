-- PostgreSQL 11+ stores a non-volatile default once; a volatile one rewrites every row.
ALTER TABLE events ADD COLUMN source text DEFAULT 'web';
ALTER TABLE events ADD COLUMN weight numeric NOT NULL DEFAULT 1.5;
ALTER TABLE events ADD COLUMN recorded_at timestamptz DEFAULT now();
ALTER TABLE events ADD COLUMN recorded_on date DEFAULT CURRENT_DATE;
ALTER TABLE events ADD COLUMN tags text[] DEFAULT '{}'::text[];
ALTER TABLE events ADD COLUMN captured_at timestamptz DEFAULT clock_timestamp();
ALTER TABLE events ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE events ADD COLUMN sample double precision DEFAULT random();
ALTER TABLE events ADD COLUMN legacy_id uuid DEFAULT uuid_generate_v4();
ALTER TABLE events ADD COLUMN seq bigint DEFAULT nextval('events_seq');
ALTER TABLE events ADD COLUMN salt text DEFAULT md5(random()::text);
ALTER TABLE events ADD COLUMN stamped timestamptz DEFAULT pg_catalog.clock_timestamp();
ALTER TABLE events ADD COLUMN row_no bigserial;
ALTER TABLE events ADD COLUMN small_no smallserial;
ALTER TABLE events ADD COLUMN ident bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE events ADD COLUMN total numeric GENERATED ALWAYS AS (amount * quantity) STORED;
ALTER TABLE events ADD COLUMN created_by text NOT NULL DEFAULT current_user;
