import type { AlterEnumStmt, AlterObjectSchemaStmt, RenameStmt } from 'libpg-query';
import type { RuleHit } from '../file-lint-output.js';
import { ident, nameList, objectName, relationName } from './pg-ast-names.js';
import type { FileScope } from './pg-file-scope.js';

/**
 * Renames and moves: the new release uses the new name, the previous release the old one, and no
 * schema serves both. Renaming indexes, constraints and triggers is harmless (code does not name
 * them) and is not reported; renaming an object created earlier in the file is not either.
 */
const RELATIONS: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_FOREIGN_TABLE: 'foreign table',
};

const OTHER_OBJECTS: Record<string, string> = {
  OBJECT_SCHEMA: 'schema',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'procedure',
  OBJECT_ROUTINE: 'routine',
  OBJECT_AGGREGATE: 'aggregate',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'domain',
};

export function renameRules(stmt: RenameStmt, scope: FileScope): RuleHit[] {
  const kind = stmt.renameType ?? '';
  const newName = ident(stmt.newname ?? '?');
  if (kind === 'OBJECT_COLUMN') {
    if (scope.isNewRelation(stmt.relation)) return [];
    const table = relationName(stmt.relation);
    return [{ code: 'RW104', message: `renames column ${table}.${ident(stmt.subname ?? '?')} to ${newName}; the previous release still uses the old name` }];
  }
  if (RELATIONS[kind]) {
    if (scope.isNewRelation(stmt.relation)) return [];
    return [{ code: 'RW103', message: `renames ${RELATIONS[kind]} ${relationName(stmt.relation)} to ${newName}; the previous release still uses the old name` }];
  }
  if (OTHER_OBJECTS[kind]) {
    if (stmt.object && scope.isNewObject(stmt.object)) return [];
    const old = kind === 'OBJECT_SCHEMA' ? ident(stmt.subname ?? '?') : stmt.object ? objectName(stmt.object) : '?';
    return [{ code: 'RW117', message: `renames ${OTHER_OBJECTS[kind]} ${old} to ${newName}; the previous release still uses the old name` }];
  }
  return [];
}

export function alterEnumRules(stmt: AlterEnumStmt, scope: FileScope): RuleHit[] {
  if (stmt.oldVal === undefined) return []; // ADD VALUE is additive
  if (scope.isNewObject({ List: { items: stmt.typeName ?? [] } })) return [];
  return [{ code: 'RW110', message: `renames value '${stmt.oldVal}' of enum ${nameList(stmt.typeName)} to '${stmt.newVal}'; the previous release still writes and compares the old label` }];
}

export function setSchemaRules(stmt: AlterObjectSchemaStmt, scope: FileScope): RuleHit[] {
  const kind = stmt.objectType ?? '';
  const what = RELATIONS[kind] ?? OTHER_OBJECTS[kind];
  if (!what) return [];
  if (stmt.relation ? scope.isNewRelation(stmt.relation) : stmt.object !== undefined && scope.isNewObject(stmt.object)) return [];
  const name = stmt.relation ? relationName(stmt.relation) : stmt.object ? objectName(stmt.object) : '?';
  return [{ code: 'RW118', message: `moves ${what} ${name} to schema ${ident(stmt.newschema ?? '?')}; the previous release looks for it where it was` }];
}
