import type { ClusterStmt, LockStmt, RefreshMatViewStmt, VacuumStmt } from 'libpg-query';
import type { RuleHit } from '../file-lint-output.js';
import { relationName } from './pg-ast-names.js';
import { listOf } from '../english-list.js';
import type { FileScope } from './pg-file-scope.js';

/**
 * Maintenance commands that take an ACCESS EXCLUSIVE lock for as long as they run. They belong in
 * an operator's maintenance window (or pg_repack), not in a migration that runs during a deploy.
 */
export function vacuumRules(stmt: VacuumStmt): RuleHit[] {
  const full = (stmt.options ?? []).some((o) => 'DefElem' in o && o.DefElem.defname === 'full');
  if (!stmt.is_vacuumcmd || !full) return [];
  return [{ code: 'RW207', message: `VACUUM FULL ${targets(stmt)}rewrites the table under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes` }];
}

function targets(stmt: VacuumStmt): string {
  const names = (stmt.rels ?? []).flatMap((r) => ('VacuumRelation' in r ? [relationName(r.VacuumRelation.relation)] : []));
  return names.length > 0 ? `of ${listOf(names)} ` : '(every table) ';
}

export function clusterRules(stmt: ClusterStmt, scope: FileScope): RuleHit[] {
  if (stmt.relation && scope.isNewRelation(stmt.relation)) return [];
  const what = stmt.relation ? relationName(stmt.relation) : 'every previously clustered table';
  return [{ code: 'RW208', message: `CLUSTER rewrites ${what} under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes` }];
}

export function lockRules(stmt: LockStmt): RuleHit[] {
  const names = (stmt.relations ?? []).flatMap((n) => ('RangeVar' in n ? [relationName(n.RangeVar)] : []));
  return [{ code: 'RW211', message: `LOCK TABLE ${listOf(names)} holds an explicit lock until the transaction ends; queries queue behind it` }];
}

export function refreshRules(stmt: RefreshMatViewStmt, scope: FileScope): RuleHit[] {
  if (stmt.concurrent || scope.isNewRelation(stmt.relation)) return [];
  return [{ code: 'RW213', message: `REFRESH MATERIALIZED VIEW ${relationName(stmt.relation)} without CONCURRENTLY blocks reads of the view until it finishes` }];
}
