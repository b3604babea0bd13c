import type { AlterTableCmd, AlterTableStmt, ColumnDef, Constraint, Node } from 'libpg-query';
import type { RuleHit } from '../file-lint-output.js';
import { ident, relationName } from './pg-ast-names.js';
import type { FileScope } from './pg-file-scope.js';
import { SERIAL_TYPES, volatileCall } from './pg-volatile-default.js';

/**
 * ALTER TABLE, one sub-command at a time (one statement may add a column, drop another and add a
 * constraint, and each can be a finding of its own). A table created earlier in the same file has
 * no rows, no traffic and no old code, so nothing done to it is reported.
 */
export function alterTableRules(stmt: AlterTableStmt, scope: FileScope): RuleHit[] {
  if (scope.isNewRelation(stmt.relation)) return [];
  const table = relationName(stmt.relation);
  const hits: RuleHit[] = [];
  for (const node of stmt.cmds ?? []) {
    if ('AlterTableCmd' in node) hits.push(...commandRules(node.AlterTableCmd, table));
  }
  return hits;
}

function commandRules(cmd: AlterTableCmd, table: string): RuleHit[] {
  const column = cmd.name === undefined ? '?' : `${table}.${ident(cmd.name)}`;
  switch (cmd.subtype) {
    case 'AT_AddColumn':
      return cmd.def && 'ColumnDef' in cmd.def ? addColumnRules(cmd.def.ColumnDef, table) : [];
    case 'AT_DropColumn':
      return [
        { code: 'RW102', message: `drops column ${column}; the previous release still selects and inserts it` },
        { code: 'RW302', message: `drops column ${column} and its values; a down migration can re-add the column, empty` },
        ...(cmd.behavior === 'DROP_CASCADE' ? [{ code: 'RW306' as const, message: `DROP COLUMN … CASCADE on ${column} also drops the views, indexes and constraints that use it, unnamed` }] : []),
      ];
    case 'AT_AlterColumnType':
      return [
        { code: 'RW105', message: `changes the type of ${column}; the previous release reads and writes it with the old type` },
        { code: 'RW210', message: `changing the type of ${column} rewrites ${table} and its indexes under an ACCESS EXCLUSIVE lock (unless the change is binary-coercible, such as varchar(n) to text)` },
      ];
    case 'AT_SetNotNull':
      return setNotNullHits(column, table);
    case 'AT_ColumnDefault':
      return cmd.def ? [] : [{ code: 'RW108', message: `drops the default of ${column}; inserts of the previous release that leave the column out now write NULL or fail` }];
    case 'AT_DropIdentity':
      return [{ code: 'RW108', message: `drops the identity of ${column}; inserts of the previous release that leave the id out now fail` }];
    case 'AT_AddConstraint':
      return cmd.def && 'Constraint' in cmd.def ? constraintRules(cmd.def.Constraint, table, 'added') : [];
    case 'AT_DropConstraint':
      return [
        { code: 'RW109', message: `drops constraint ${ident(cmd.name ?? '?')} on ${table}; the previous release may rely on it (ON CONFLICT needs its unique index, ON DELETE CASCADE needs the foreign key)` },
        ...(cmd.behavior === 'DROP_CASCADE' ? [{ code: 'RW306' as const, message: `DROP CONSTRAINT … CASCADE on ${table} also drops the foreign keys that depend on it, unnamed` }] : []),
      ];
    case 'AT_SetTableSpace':
    case 'AT_SetLogged':
    case 'AT_SetUnLogged':
    case 'AT_SetAccessMethod':
      return [{ code: 'RW214', message: `${REWRITES[cmd.subtype]} rewrites ${table} under an ACCESS EXCLUSIVE lock` }];
    default:
      return [];
  }
}

const REWRITES: Partial<Record<NonNullable<AlterTableCmd['subtype']>, string>> = {
  AT_SetTableSpace: 'SET TABLESPACE',
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
  AT_SetAccessMethod: 'SET ACCESS METHOD',
};

function setNotNullHits(column: string, table: string): RuleHit[] {
  return [
    { code: 'RW107', message: `sets ${column} NOT NULL; inserts of the previous release that leave it NULL now fail` },
    { code: 'RW204', message: `SET NOT NULL on ${column} scans all of ${table} under an ACCESS EXCLUSIVE lock` },
  ];
}

function addColumnRules(def: ColumnDef, table: string): RuleHit[] {
  const column = `${table}.${ident(def.colname ?? '?')}`;
  const constraints = (def.constraints ?? []).flatMap((n: Node) => ('Constraint' in n ? [n.Constraint] : []));
  const kinds = new Set(constraints.map((c) => c.contype));
  const declaredDefault = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr;
  // DEFAULT NULL is no default at all for a NOT NULL column.
  const defaultExpr = declaredDefault && 'A_Const' in declaredDefault && declaredDefault.A_Const.isnull ? undefined : declaredDefault;
  const typeName = def.typeName?.names?.at(-1);
  const serial = typeName !== undefined && 'String' in typeName && SERIAL_TYPES.has(typeName.String.sval ?? '');
  const fillsItself = defaultExpr !== undefined || serial || kinds.has('CONSTR_IDENTITY') || kinds.has('CONSTR_GENERATED');
  const hits: RuleHit[] = [];

  if ((kinds.has('CONSTR_NOTNULL') || kinds.has('CONSTR_PRIMARY')) && !fillsItself) {
    hits.push({ code: 'RW106', message: `adds ${column} NOT NULL without a default: it fails on a table with rows, and inserts of the previous release (which do not know the column) fail` });
  }
  const volatile = volatileCall(defaultExpr);
  if (volatile) hits.push({ code: 'RW205', message: `adds ${column} with the volatile default ${volatile}: every row of ${table} is rewritten under an ACCESS EXCLUSIVE lock` });
  else if (serial) hits.push({ code: 'RW205', message: `adds ${column} as a serial (a nextval() default): every row of ${table} is rewritten under an ACCESS EXCLUSIVE lock` });
  else if (kinds.has('CONSTR_IDENTITY')) hits.push({ code: 'RW205', message: `adds identity column ${column}: every row of ${table} is rewritten under an ACCESS EXCLUSIVE lock` });
  else if (constraints.some((c) => c.contype === 'CONSTR_GENERATED' && c.generated_kind !== 'v')) {
    hits.push({ code: 'RW205', message: `adds stored generated column ${column}: every row of ${table} is rewritten under an ACCESS EXCLUSIVE lock` });
  }
  for (const constraint of constraints) hits.push(...constraintRules(constraint, table, `added with ${column}`));
  return hits;
}

/** ADD CONSTRAINT, or a constraint written inline in ADD COLUMN. */
function constraintRules(constraint: Constraint, table: string, how: string): RuleHit[] {
  const name = constraint.conname ? `${ident(constraint.conname)} ` : '';
  switch (constraint.contype) {
    case 'CONSTR_FOREIGN':
      return constraint.skip_validation
        ? []
        : [{ code: 'RW202', message: `foreign key ${name}${how} on ${table} is validated at once: ${table} is scanned while it and ${relationName(constraint.pktable)} are locked against writes` }];
    case 'CONSTR_CHECK':
      return constraint.skip_validation ? [] : [{ code: 'RW203', message: `CHECK constraint ${name}${how} on ${table} is validated at once: ${table} is scanned under an ACCESS EXCLUSIVE lock` }];
    case 'CONSTR_PRIMARY':
    case 'CONSTR_UNIQUE':
    case 'CONSTR_EXCLUSION':
      return constraint.indexname
        ? []
        : [{ code: 'RW206', message: `${CONSTRAINT_WORDS[constraint.contype]} constraint ${name}${how} on ${table} builds its index while writes to ${table} are blocked` }];
    case 'CONSTR_NOTNULL':
      // Only the ADD CONSTRAINT … NOT NULL form (PostgreSQL 18) reaches here; inline NOT NULL is RW106's.
      if (how !== 'added') return [];
      return constraint.skip_validation
        ? [{ code: 'RW107', message: `adds a NOT NULL constraint ${name}on ${table}; inserts of the previous release that leave the column NULL now fail` }]
        : setNotNullHits(`${table}.${(constraint.keys ?? []).map((k) => ('String' in k ? ident(k.String.sval ?? '') : '?')).join(', ')}`, table);
    default:
      return [];
  }
}

const CONSTRAINT_WORDS: Record<string, string> = { CONSTR_PRIMARY: 'PRIMARY KEY', CONSTR_UNIQUE: 'UNIQUE', CONSTR_EXCLUSION: 'EXCLUDE' };
