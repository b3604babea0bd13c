DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'ticket_state') THEN
    CREATE TYPE ticket_state AS ENUM ('open', 'closed');
  END IF;
END
$$;
DO $$
DECLARE
  n integer;
BEGIN
  ALTER TABLE tickets DROP COLUMN legacy_state;
  UPDATE tickets SET priority = 0;
  SELECT count(*) INTO n FROM tickets;
END
$$;
DO $body$
BEGIN
  EXECUTE 'DROP TABLE ' || quote_ident('tmp_' || to_char(now(), 'YYYY'));
END
$body$;
DO LANGUAGE plpgsql $$ BEGIN EXECUTE format('ALTER TABLE %I DROP COLUMN x', 'tickets'); END $$;
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN EXECUTE 'SELECT tablename FROM pg_tables' LOOP
    RAISE NOTICE '%', r.tablename;
  END LOOP;
END
$$;
DO LANGUAGE plperl $$ my $x = 1; $$;
DO $$ BEGIN CREATE INDEX CONCURRENTLY tickets_state_idx ON tickets (state); END $$;
DO $$
BEGIN
  -- DROP TABLE in a PL/pgSQL comment is not a statement
  PERFORM 1;
  RAISE NOTICE 'DROP TABLE tickets';
END
$$;
DO $$ BEGIN THIS IS NOT PLPGSQL; END $$;
