import type { DeleteStmt, UpdateStmt } from 'libpg-query';
import type { RuleHit } from '../file-lint-output.js';
import { relationName } from './pg-ast-names.js';
import type { FileScope } from './pg-file-scope.js';

/**
 * Data changes without a WHERE clause touch every row: what they delete or overwrite is not in any
 * down migration. Tables created earlier in the same file hold only what the file put there.
 */
export function deleteRules(stmt: DeleteStmt, scope: FileScope): RuleHit[] {
  if (stmt.whereClause || scope.isNewRelation(stmt.relation)) return [];
  return [{ code: 'RW304', message: `DELETE without WHERE removes every row of ${relationName(stmt.relation)}; a down migration cannot bring them back` }];
}

export function updateRules(stmt: UpdateStmt, scope: FileScope): RuleHit[] {
  if (stmt.whereClause || scope.isNewRelation(stmt.relation)) return [];
  return [{ code: 'RW305', message: `UPDATE without WHERE overwrites every row of ${relationName(stmt.relation)}; the old values are not kept anywhere a down migration could read` }];
}
