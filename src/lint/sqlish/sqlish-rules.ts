import type { RuleHit } from '../file-lint-output.js';
import { listOf } from '../english-list.js';

/**
 * The rules that can be judged from node-sql-parser's MySQL/SQLite trees: drops, renames, type
 * changes, NOT NULL additions and unbounded data changes. Locking depends on each server's online
 * DDL rules (InnoDB's ALGORITHM/LOCK, SQLite's whole-database lock) and is not judged here.
 */
type Ast = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): Ast[] => (Array.isArray(v) ? (v as Ast[]) : []);
const obj = (v: unknown): Ast => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Ast) : {});

/** `db.table` names from the parser's table references. */
function tableNames(v: unknown): string[] {
  return arr(v).map((t) => [str(t.db), str(t.table)].filter((s) => s !== '').join('.'));
}

const columnName = (v: unknown): string => str(obj(v).column) || str(obj(obj(v).expr).value);

export class SqlishScope {
  private readonly created = new Set<string>();
  isNew(table: string): boolean {
    return this.created.has(table.toLowerCase());
  }
  record(ast: Ast): void {
    if (ast.type === 'create' && ast.keyword === 'table') for (const name of tableNames(ast.table)) this.created.add(name.toLowerCase());
  }
}

export function sqlishRules(ast: Ast, scope: SqlishScope): RuleHit[] {
  switch (ast.type) {
    case 'drop':
      return dropRules(ast, scope);
    case 'truncate': {
      const names = tableNames(ast.name).filter((n) => !scope.isNew(n));
      if (names.length === 0) return [];
      return [
        { code: 'RW111', message: `truncates ${listOf(names)}: the rows the previous release works with are gone` },
        { code: 'RW303', message: `truncates ${listOf(names)}; no down migration can bring the rows back` },
      ];
    }
    case 'rename': {
      const pairs = arr(ast.table).map((pair) => tableNames(pair));
      return pairs.filter(([from]) => from && !scope.isNew(from)).map(([from, to]) => ({ code: 'RW103' as const, message: `renames table ${from} to ${to}; the previous release still uses the old name` }));
    }
    case 'alter':
      return alterRules(ast, scope);
    case 'delete': {
      const [table] = tableNames(ast.from ?? ast.table);
      return ast.where || (table && scope.isNew(table)) ? [] : [{ code: 'RW304', message: `DELETE without WHERE removes every row of ${table ?? '?'}; a down migration cannot bring them back` }];
    }
    case 'update': {
      const [table] = tableNames(ast.table);
      return ast.where || (table && scope.isNew(table)) ? [] : [{ code: 'RW305', message: `UPDATE without WHERE overwrites every row of ${table ?? '?'}; the old values are not kept anywhere a down migration could read` }];
    }
    default:
      return [];
  }
}

function dropRules(ast: Ast, scope: SqlishScope): RuleHit[] {
  const keyword = str(ast.keyword).toLowerCase();
  if (keyword === 'database' || keyword === 'schema') return [{ code: 'RW112', message: `drops ${keyword} ${str(ast.name)}; whatever the previous release uses in it is gone` }];
  const names = tableNames(ast.name).filter((n) => !scope.isNew(n));
  if (names.length === 0) return [];
  const list = listOf(names);
  if (keyword === 'table') {
    return [
      { code: 'RW101', message: `drops table ${list}, which the previous release still reads and writes` },
      { code: 'RW301', message: `drops every row of ${list}; a down migration can recreate the table but not its data` },
    ];
  }
  if (keyword === 'view') return [{ code: 'RW113', message: `drops view ${list}; the previous release's queries against it fail` }];
  return [];
}

function alterRules(ast: Ast, scope: SqlishScope): RuleHit[] {
  const [table = '?'] = tableNames(ast.table);
  if (scope.isNew(table)) return [];
  const hits: RuleHit[] = [];
  for (const expr of arr(ast.expr)) {
    const action = str(expr.action);
    const resource = str(expr.resource);
    const column = `${table}.${columnName(expr.column)}`;
    if (action === 'drop' && resource === 'column') {
      hits.push({ code: 'RW102', message: `drops column ${column}; the previous release still selects and inserts it` });
      hits.push({ code: 'RW302', message: `drops column ${column} and its values; a down migration can re-add the column, empty` });
    } else if (action === 'drop' && (resource === 'constraint' || (resource === 'key' && str(expr.keyword) !== ''))) {
      hits.push({ code: 'RW109', message: `drops ${str(expr.keyword) || 'constraint'} ${str(expr.constraint) || str(expr.key)} on ${table}; the previous release may rely on it` });
    } else if (action === 'rename' && resource === 'column') {
      hits.push({ code: 'RW104', message: `renames column ${table}.${columnName(expr.old_column)} to ${columnName(expr.column)}; the previous release still uses the old name` });
    } else if (action === 'rename' && resource === 'table') {
      hits.push({ code: 'RW103', message: `renames table ${table} to ${str(expr.table)}; the previous release still uses the old name` });
    } else if (action === 'change' && resource === 'column') {
      const from = columnName(expr.old_column);
      const to = columnName(expr.column);
      if (from.toLowerCase() !== to.toLowerCase()) hits.push({ code: 'RW104', message: `CHANGE renames column ${table}.${from} to ${to}; the previous release still uses the old name` });
      hits.push({ code: 'RW105', message: `CHANGE redefines column ${table}.${from} (type ${str(obj(expr.definition).dataType)}); the previous release reads and writes it with the old definition` });
    } else if (action === 'modify' && resource === 'column') {
      hits.push({ code: 'RW105', message: `MODIFY redefines column ${column} (type ${str(obj(expr.definition).dataType)}); the previous release reads and writes it with the old definition` });
    } else if (action === 'add' && resource === 'column') {
      const notNull = str(obj(expr.nullable).type) === 'not null';
      if (notNull && !expr.default_val && !expr.auto_increment) {
        hits.push({ code: 'RW106', message: `adds ${column} NOT NULL without a default: inserts of the previous release (which do not know the column) fail` });
      }
    }
  }
  return hits;
}
