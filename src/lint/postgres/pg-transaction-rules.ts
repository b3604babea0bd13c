import type { Node } from 'libpg-query';
import type { RuleHit } from '../file-lint-output.js';

/**
 * Some statements refuse to run inside a transaction block (PostgreSQL raises "cannot run inside
 * a transaction block" and the migration fails half-way). The linter knows about explicit
 * BEGIN/START TRANSACTION … COMMIT in the same file, and DO blocks, which always run inside one.
 * Migration tools that wrap each file in a transaction of their own are outside what it can see.
 */
export interface TransactionContext {
  /** Line of the open BEGIN, or 0 when not inside one. */
  beginLine: number;
  /** True for statements found inside a DO block. */
  inDoBlock: boolean;
}

export function transactionRules(node: Node, context: TransactionContext): RuleHit[] {
  if (context.beginLine === 0 && !context.inDoBlock) return [];
  const what = nonTransactional(node);
  if (!what) return [];
  const where = context.inDoBlock ? 'inside a DO block, which always runs in a transaction' : `inside the transaction block opened on line ${context.beginLine}`;
  return [{ code: 'RW004', message: `${what} cannot run ${where}; the migration fails at this statement` }];
}

function nonTransactional(node: Node): string | undefined {
  if ('IndexStmt' in node && node.IndexStmt.concurrent) return 'CREATE INDEX CONCURRENTLY';
  if ('DropStmt' in node && node.DropStmt.concurrent) return 'DROP INDEX CONCURRENTLY';
  if ('ReindexStmt' in node && (node.ReindexStmt.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently')) return 'REINDEX CONCURRENTLY';
  if ('VacuumStmt' in node && node.VacuumStmt.is_vacuumcmd) return 'VACUUM';
  if ('CreatedbStmt' in node) return 'CREATE DATABASE';
  if ('DropdbStmt' in node) return 'DROP DATABASE';
  if ('AlterSystemStmt' in node) return 'ALTER SYSTEM';
  if ('CreateTableSpaceStmt' in node) return 'CREATE TABLESPACE';
  if ('DropTableSpaceStmt' in node) return 'DROP TABLESPACE';
  if ('AlterTableStmt' in node) {
    const detach = (node.AlterTableStmt.cmds ?? []).some(
      (c) => 'AlterTableCmd' in c && c.AlterTableCmd.subtype === 'AT_DetachPartition' && c.AlterTableCmd.def !== undefined && 'PartitionCmd' in c.AlterTableCmd.def && c.AlterTableCmd.def.PartitionCmd.concurrent === true,
    );
    if (detach) return 'DETACH PARTITION CONCURRENTLY';
  }
  return undefined;
}
