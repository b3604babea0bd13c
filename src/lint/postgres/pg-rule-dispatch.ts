import type { Node } from 'libpg-query';
import type { RuleHit } from '../file-lint-output.js';
import { alterTableRules } from './pg-alter-table-rules.js';
import { deleteRules, updateRules } from './pg-data-rules.js';
import { dropRules, truncateRules } from './pg-drop-rules.js';
import type { FileScope } from './pg-file-scope.js';
import { indexRules, reindexRules } from './pg-index-rules.js';
import { clusterRules, lockRules, refreshRules, vacuumRules } from './pg-maintenance-rules.js';
import { alterEnumRules, renameRules, setSchemaRules } from './pg-rename-rules.js';
import { transactionRules } from './pg-transaction-rules.js';

/**
 * Which rules look at which kind of statement. The statement kind is the parse-tree node
 * PostgreSQL's grammar produced, so classification never depends on how the SQL is spelled,
 * commented or quoted. Statements of other kinds (CREATE TABLE, INSERT, GRANT, …) are additive.
 */
export function statementRules(node: Node, scope: FileScope, inDoBlock: boolean): RuleHit[] {
  const hits = transactionRules(node, { beginLine: scope.inTransaction ? scope.transactionLine : 0, inDoBlock });
  if ('AlterTableStmt' in node) hits.push(...alterTableRules(node.AlterTableStmt, scope));
  else if ('DropStmt' in node) hits.push(...dropRules(node.DropStmt, scope));
  else if ('TruncateStmt' in node) hits.push(...truncateRules(node.TruncateStmt, scope));
  else if ('RenameStmt' in node) hits.push(...renameRules(node.RenameStmt, scope));
  else if ('AlterEnumStmt' in node) hits.push(...alterEnumRules(node.AlterEnumStmt, scope));
  else if ('AlterObjectSchemaStmt' in node) hits.push(...setSchemaRules(node.AlterObjectSchemaStmt, scope));
  else if ('IndexStmt' in node) hits.push(...indexRules(node.IndexStmt, scope));
  else if ('ReindexStmt' in node) hits.push(...reindexRules(node.ReindexStmt));
  else if ('DeleteStmt' in node) hits.push(...deleteRules(node.DeleteStmt, scope));
  else if ('UpdateStmt' in node) hits.push(...updateRules(node.UpdateStmt, scope));
  else if ('VacuumStmt' in node) hits.push(...vacuumRules(node.VacuumStmt));
  else if ('ClusterStmt' in node) hits.push(...clusterRules(node.ClusterStmt, scope));
  else if ('LockStmt' in node) hits.push(...lockRules(node.LockStmt));
  else if ('RefreshMatViewStmt' in node) hits.push(...refreshRules(node.RefreshMatViewStmt, scope));
  return hits;
}
