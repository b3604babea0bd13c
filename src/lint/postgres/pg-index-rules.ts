import type { IndexStmt, ReindexStmt } from 'libpg-query';
import type { RuleHit } from '../file-lint-output.js';
import { ident, relationName } from './pg-ast-names.js';
import type { FileScope } from './pg-file-scope.js';

/**
 * Building an index without CONCURRENTLY blocks every write to the table for the whole build
 * (minutes on a big table). A table created earlier in the file is empty, and `CREATE INDEX … ON
 * ONLY parent` only creates an invalid placeholder on a partitioned parent, so neither is reported.
 */
export function indexRules(stmt: IndexStmt, scope: FileScope): RuleHit[] {
  // `inh` is omitted from the parse tree when false, i.e. for ON ONLY.
  if (stmt.concurrent || scope.isNewRelation(stmt.relation) || stmt.relation?.inh !== true) return [];
  const table = relationName(stmt.relation);
  const index = stmt.idxname ? `${ident(stmt.idxname)} ` : '';
  return [{ code: 'RW201', message: `CREATE ${stmt.unique ? 'UNIQUE ' : ''}INDEX ${index}on ${table} without CONCURRENTLY blocks writes to ${table} until the index is built` }];
}

export function reindexRules(stmt: ReindexStmt): RuleHit[] {
  const concurrently = (stmt.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently');
  if (concurrently) return [];
  const target = stmt.relation ? relationName(stmt.relation) : ident(stmt.name ?? '?');
  return [{ code: 'RW209', message: `REINDEX of ${target} without CONCURRENTLY locks out writes (and reads that use the index) until it finishes` }];
}
