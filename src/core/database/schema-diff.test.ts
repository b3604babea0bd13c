import { describe, expect, it } from 'vitest';
import type { RewindError } from '../../errors/rewind-error.js';
import { assertNoSchemaDrift, countSchemaDiff, diffSchemas, renderSchemaDiff, type DatabaseSchema, type SchemaColumn, type SchemaTable } from './schema-diff.js';

const col = (name: string, type: string, over: Partial<SchemaColumn> = {}): SchemaColumn => ({ name, type, nullable: true, default: null, identity: null, generated: null, ...over });

const users = (): SchemaTable => ({
  schema: 'public',
  name: 'users',
  columns: [
    col('email', 'text', { nullable: false }),
    col('id', 'integer', { nullable: false, default: "nextval('public.users_id_seq'::regclass)" }),
    col('status', 'public.user_status', { nullable: false, default: "'active'::public.user_status" }),
  ],
  constraints: [
    { name: 'users_email_key', type: 'unique', definition: 'UNIQUE (email)' },
    { name: 'users_pkey', type: 'primary-key', definition: 'PRIMARY KEY (id)' },
  ],
  indexes: [{ name: 'users_status_idx', definition: 'CREATE INDEX users_status_idx ON public.users USING btree (status)' }],
});

const base = (): DatabaseSchema => ({
  version: 1,
  engine: 'postgres',
  tables: [
    users(),
    {
      schema: 'public',
      name: 'posts',
      columns: [col('id', 'bigint', { nullable: false, identity: 'always' }), col('user_id', 'integer')],
      constraints: [{ name: 'posts_user_id_fkey', type: 'foreign-key', definition: 'FOREIGN KEY (user_id) REFERENCES public.users(id)' }],
      indexes: [],
    },
  ],
  views: [{ schema: 'public', name: 'active_users', materialized: false, definition: ' SELECT users.id\n   FROM public.users\n  WHERE true;', indexes: [] }],
  enums: [{ schema: 'public', name: 'user_status', labels: ['active', 'banned'] }],
  sequences: [
    { schema: 'public', name: 'users_id_seq', type: 'integer', start: '1', increment: '1', min: '1', max: '2147483647', cache: '1', cycle: false, ownedBy: 'public.users.id' },
  ],
});

describe('diffSchemas', () => {
  it('finds nothing between equal schemas, whatever order their lists and keys come in', () => {
    const shuffled = base();
    shuffled.tables.reverse();
    shuffled.tables[1]!.columns.reverse();
    shuffled.tables[1]!.constraints.reverse();
    // Same column, keys in another order: equality is by value.
    const [first] = shuffled.tables[1]!.columns;
    shuffled.tables[1]!.columns[0] = { generated: first!.generated, identity: first!.identity, default: first!.default, nullable: first!.nullable, type: first!.type, name: first!.name };
    expect(diffSchemas(base(), base())).toEqual([]);
    expect(diffSchemas(base(), shuffled)).toEqual([]);
    expect(renderSchemaDiff([])).toBe('');
  });

  it('reports a missing or unexpected table once, not each of its columns', () => {
    const actual = base();
    const posts = actual.tables.splice(1, 1)[0]!;
    actual.tables.push({ schema: 'audit', name: 'events', columns: [col('at', 'timestamp with time zone', { nullable: false, default: 'now()' })], constraints: [], indexes: [] });
    const diff = diffSchemas(base(), actual);
    expect(diff).toEqual([
      { kind: 'unexpected', object: 'table', name: 'audit.events', actual: actual.tables[1] },
      { kind: 'missing', object: 'table', name: 'public.posts', expected: posts },
    ]);
    expect(renderSchemaDiff(diff).split('\n')).toEqual([
      '+ table audit.events (at timestamp with time zone NOT NULL DEFAULT now())',
      '- table public.posts (id bigint NOT NULL GENERATED ALWAYS AS IDENTITY, user_id integer)',
    ]);
  });

  it('names columns, constraints and indexes that are missing, unexpected or changed, sorted by name', () => {
    const actual = base();
    const live = actual.tables[0]!;
    live.columns = live.columns.filter((c) => c.name !== 'email');
    live.columns.push(col('nickname', 'character varying(40)'));
    live.columns.find((c) => c.name === 'status')!.default = "'banned'::public.user_status";
    live.constraints = live.constraints.filter((c) => c.name !== 'users_email_key');
    live.constraints.push({ name: 'users_nickname_check', type: 'check', definition: 'CHECK ((length((nickname)::text) > 2))' });
    live.indexes = [];

    const diff = diffSchemas(base(), actual);
    expect(diff.map((d) => [d.kind, d.object, d.name])).toEqual([
      ['missing', 'column', 'public.users.email'],
      ['unexpected', 'column', 'public.users.nickname'],
      ['changed', 'column', 'public.users.status'],
      ['missing', 'constraint', 'public.users.users_email_key'],
      ['unexpected', 'constraint', 'public.users.users_nickname_check'],
      ['missing', 'index', 'public.users.users_status_idx'],
    ]);
    expect(diff[2]).toMatchObject({ expected: { default: "'active'::public.user_status" }, actual: { default: "'banned'::public.user_status" } });
    expect(renderSchemaDiff(diff)).toBe(
      [
        '- column public.users.email text NOT NULL',
        '+ column public.users.nickname character varying(40)',
        "~ column public.users.status: expected public.user_status NOT NULL DEFAULT 'active'::public.user_status, found public.user_status NOT NULL DEFAULT 'banned'::public.user_status",
        '- constraint public.users.users_email_key UNIQUE (email)',
        '+ constraint public.users.users_nickname_check CHECK ((length((nickname)::text) > 2))',
        '- index public.users.users_status_idx CREATE INDEX users_status_idx ON public.users USING btree (status)',
      ].join('\n'),
    );
    expect(countSchemaDiff(diff)).toEqual({ missing: 3, unexpected: 2, changed: 1 });
  });

  it('sees a changed type, nullability, identity or generation expression as a changed column', () => {
    for (const over of [{ type: 'bigint' }, { nullable: true }, { identity: 'by-default' as const }, { generated: 'stored' as const }]) {
      const actual = base();
      Object.assign(actual.tables[0]!.columns[1]!, over);
      expect(diffSchemas(base(), actual), JSON.stringify(over)).toMatchObject([{ kind: 'changed', object: 'column', name: 'public.users.id' }]);
    }
  });

  it('compares enum labels in order, view definitions and sequence settings', () => {
    const actual = base();
    actual.enums[0]!.labels = ['banned', 'active'];
    actual.views[0]!.definition = ' SELECT users.id, users.email\n   FROM public.users;';
    actual.sequences[0]!.increment = '10';
    actual.sequences.push({ ...actual.sequences[0]!, name: 'invoice_no', ownedBy: null, cycle: true });
    const diff = diffSchemas(base(), actual);
    expect(diff.map((d) => [d.kind, d.object, d.name])).toEqual([
      ['changed', 'view', 'public.active_users'],
      ['unexpected', 'sequence', 'public.invoice_no'],
      ['changed', 'enum', 'public.user_status'],
      ['changed', 'sequence', 'public.users_id_seq'],
    ]);
    const lines = renderSchemaDiff(diff).split('\n');
    expect(lines[0]).toBe('~ view public.active_users: expected AS SELECT users.id FROM public.users WHERE true;, found AS SELECT users.id, users.email FROM public.users;');
    expect(lines[1]).toBe('+ sequence public.invoice_no integer START 1 INCREMENT 10 MINVALUE 1 MAXVALUE 2147483647 CACHE 1 CYCLE');
    expect(lines[2]).toBe("~ enum public.user_status: expected ('active', 'banned'), found ('banned', 'active')");
    expect(lines[3]).toContain('expected integer START 1 INCREMENT 1 ');
  });

  it('diffs the indexes of a materialized view by name under the view', () => {
    const withIndex = base();
    withIndex.views.push({ schema: 'public', name: 'totals', materialized: true, definition: ' SELECT 1 AS n;', indexes: [{ name: 'totals_n_idx', definition: 'CREATE UNIQUE INDEX totals_n_idx ON public.totals USING btree (n)' }] });
    const without = base();
    without.views.push({ ...withIndex.views[1]!, indexes: [] });
    expect(diffSchemas(withIndex, without)).toEqual([{ kind: 'missing', object: 'index', name: 'public.totals.totals_n_idx', expected: withIndex.views[1]!.indexes[0] }]);
  });
});

describe('assertNoSchemaDrift', () => {
  it('passes on no drift and throws REWIND_E_DRIFT carrying the rendered diff otherwise', () => {
    expect(() => assertNoSchemaDrift([], 'db')).not.toThrow();
    const actual = base();
    actual.tables[0]!.indexes = [];
    const diff = diffSchemas(base(), actual);
    let caught: RewindError | undefined;
    try {
      assertNoSchemaDrift(diff, '127.0.0.1:5432/app');
    } catch (error) {
      caught = error as RewindError;
    }
    expect(caught?.code).toBe('REWIND_E_DRIFT');
    expect(caught?.exitCode).toBe(11);
    expect(caught?.message).toContain('127.0.0.1:5432/app drifted from its migrations (1 missing, 0 unexpected, 0 changed)');
    expect(caught?.message).toContain('- index public.users.users_status_idx');
    expect(caught?.details.differences).toEqual(diff);
  });
});
