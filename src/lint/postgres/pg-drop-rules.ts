import type { DropStmt, TruncateStmt } from 'libpg-query';
import type { RuleHit } from '../file-lint-output.js';
import { objectName, relationName } from './pg-ast-names.js';
import { listOf } from '../english-list.js';
import type { FileScope } from './pg-file-scope.js';

/**
 * DROP and TRUNCATE: the classic ways a migration makes the previous release fail (it still
 * queries what was dropped) and makes a `down` migration useless (it can recreate the object, not
 * the rows). Objects created earlier in the same file are nobody's dependency and are skipped.
 */
export function dropRules(stmt: DropStmt, scope: FileScope): RuleHit[] {
  const objects = (stmt.objects ?? []).filter((o) => !scope.isNewObject(o));
  if (objects.length === 0) return [];
  const names = listOf(objects.map(objectName));
  const hits: RuleHit[] = [];
  const add = (code: RuleHit['code'], message: string) => hits.push({ code, message });
  switch (stmt.removeType) {
    case 'OBJECT_TABLE':
      add('RW101', `drops table ${names}, which the previous release still reads and writes`);
      add('RW301', `drops every row of ${names}; a down migration can recreate the table but not its data`);
      break;
    case 'OBJECT_FOREIGN_TABLE':
      add('RW101', `drops foreign table ${names}, which the previous release may still query`);
      break;
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
      add('RW113', `drops ${stmt.removeType === 'OBJECT_VIEW' ? 'view' : 'materialized view'} ${names}; the previous release's queries against it fail`);
      break;
    case 'OBJECT_SCHEMA':
      add('RW112', `drops schema ${names}; whatever the previous release uses in it is gone`);
      break;
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN':
      add('RW114', `drops ${stmt.removeType === 'OBJECT_TYPE' ? 'type' : 'domain'} ${names}; the previous release's casts, columns and functions using it fail`);
      add('RW307', `drops ${stmt.removeType === 'OBJECT_TYPE' ? 'type' : 'domain'} ${names}; a down migration can recreate it but not what depended on it`);
      break;
    case 'OBJECT_FUNCTION':
    case 'OBJECT_PROCEDURE':
    case 'OBJECT_ROUTINE':
    case 'OBJECT_AGGREGATE':
      add('RW115', `drops ${stmt.removeType.slice('OBJECT_'.length).toLowerCase()} ${names}; the previous release's calls to it fail`);
      break;
    case 'OBJECT_SEQUENCE':
      add('RW116', `drops sequence ${names}; inserts of the previous release that use it fail`);
      add('RW308', `drops sequence ${names}; a recreated sequence restarts and hands out ids that already exist`);
      break;
    case 'OBJECT_EXTENSION':
      add('RW119', `drops extension ${names}; the functions and types it provides (and the previous release uses) disappear`);
      break;
    case 'OBJECT_INDEX':
      if (!stmt.concurrent) add('RW212', `drops index ${names} without CONCURRENTLY: its table is locked ACCESS EXCLUSIVE (reads and writes wait) while it runs`);
      break;
    default:
      break;
  }
  if (stmt.behavior === 'DROP_CASCADE') add('RW306', `DROP … CASCADE on ${names} also drops every object that depends on it (views, foreign keys, columns of that type), unnamed`);
  return hits;
}

export function truncateRules(stmt: TruncateStmt, scope: FileScope): RuleHit[] {
  const relations = (stmt.relations ?? []).flatMap((n) => ('RangeVar' in n && !scope.isNewRelation(n.RangeVar) ? [relationName(n.RangeVar)] : []));
  if (relations.length === 0) return [];
  const names = listOf(relations);
  const hits: RuleHit[] = [
    { code: 'RW111', message: `truncates ${names}: the rows the previous release works with are gone` },
    { code: 'RW303', message: `truncates ${names}; no down migration can bring the rows back` },
  ];
  if (stmt.behavior === 'DROP_CASCADE') hits.push({ code: 'RW306', message: `TRUNCATE … CASCADE on ${names} also empties every table with a foreign key to it, unnamed` });
  return hits;
}
