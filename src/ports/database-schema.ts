/*
 * A database schema as plain data: what an engine reads from its catalog (drift detection) and what
 * the ledger stores with a release. Every list is sorted by name and every value is a string,
 * boolean or null, so a schema serializes to the same JSON each time it is read.
 */

export interface SchemaColumn {
  name: string;
  /** As `format_type` prints it: `character varying(255)`, `timestamp with time zone`, `public.mood`. */
  type: string;
  nullable: boolean;
  /** The default expression (`pg_get_expr`), or for a generated column its generation expression. */
  default: string | null;
  identity: 'always' | 'by-default' | null;
  generated: 'stored' | null;
}

export type ConstraintType = 'primary-key' | 'unique' | 'check' | 'foreign-key' | 'exclusion';

export interface SchemaConstraint {
  name: string;
  type: ConstraintType;
  /** `pg_get_constraintdef`: `PRIMARY KEY (id)`, `FOREIGN KEY (user_id) REFERENCES public.users(id)`. */
  definition: string;
}

export interface SchemaIndex {
  name: string;
  /** `pg_get_indexdef`: `CREATE INDEX users_email_idx ON public.users USING btree (email)`. */
  definition: string;
}

export interface SchemaTable {
  schema: string;
  name: string;
  columns: SchemaColumn[];
  constraints: SchemaConstraint[];
  /** Indexes that back no constraint (those are covered by their constraint). */
  indexes: SchemaIndex[];
}

export interface SchemaView {
  schema: string;
  name: string;
  materialized: boolean;
  definition: string;
  /** Only materialized views have indexes. */
  indexes: SchemaIndex[];
}

export interface SchemaEnum {
  schema: string;
  name: string;
  /** In their sort order, which is what the application sees. */
  labels: string[];
}

export interface SchemaSequence {
  schema: string;
  name: string;
  type: string;
  /** Sequence bounds are bigint: kept as decimal strings so JSON never rounds them. */
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** `schema.table.column` for a sequence owned by a column (serial), else null. */
  ownedBy: string | null;
}

export interface DatabaseSchema {
  version: 1;
  engine: 'postgres';
  tables: SchemaTable[];
  views: SchemaView[];
  enums: SchemaEnum[];
  sequences: SchemaSequence[];
}

export type SchemaObjectKind = 'table' | 'column' | 'index' | 'constraint' | 'enum' | 'view' | 'sequence';
export type SchemaObject = SchemaTable | SchemaColumn | SchemaIndex | SchemaConstraint | SchemaEnum | SchemaView | SchemaSequence;
