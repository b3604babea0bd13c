import type { SqlishDialect } from './sqlish-statement-scanner.js';

/**
 * node-sql-parser, per dialect build, loaded only when a MySQL or SQLite file is linted (each
 * build is a large generated grammar). It is a best-effort parser: it does not know every
 * statement the servers accept, which is why its failures are reported, never ignored.
 */
export interface SqlishParser {
  astify(sql: string, options: { database: string }): unknown;
}

const loaded = new Map<SqlishDialect, SqlishParser>();

/** One generated grammar per dialect (import paths spelled out, so bundlers and Node resolve them as written). */
const GRAMMARS: Record<SqlishDialect, () => Promise<unknown>> = {
  mysql: () => import('node-sql-parser/build/mysql.js'),
  sqlite: () => import('node-sql-parser/build/sqlite.js'),
};

export async function loadSqlishParser(dialect: SqlishDialect): Promise<SqlishParser> {
  const existing = loaded.get(dialect);
  if (existing) return existing;
  const module = await GRAMMARS[dialect]();
  const ParserClass = (module as unknown as { Parser?: new () => SqlishParser; default?: { Parser: new () => SqlishParser } }).Parser ?? (module as unknown as { default: { Parser: new () => SqlishParser } }).default.Parser;
  const parser = new ParserClass();
  loaded.set(dialect, parser);
  return parser;
}

export function sqlishParser(dialect: SqlishDialect): SqlishParser {
  const parser = loaded.get(dialect);
  if (!parser) throw new Error(`the ${dialect} parser is not loaded: await loadSqlishParser('${dialect}') (or use lintMigrations) first`);
  return parser;
}

export const DATABASE_NAME: Record<SqlishDialect, string> = { mysql: 'MySQL', sqlite: 'sqlite' };
