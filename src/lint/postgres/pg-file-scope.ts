import type { Node, RangeVar } from 'libpg-query';
import { nameParts } from './pg-ast-names.js';

/**
 * What the file has done so far, for the rules that depend on it:
 * - objects created earlier in the same file are new, so nothing (no old code, no data, no
 *   traffic) depends on them: indexing, constraining or reshaping them is neither breaking nor
 *   locking;
 * - whether an explicit BEGIN is open, because some statements cannot run inside a transaction.
 * Names without a schema are taken to be in `public` (the default search_path).
 */
export class FileScope {
  inTransaction = false;
  /** Line of the open BEGIN, for messages. */
  transactionLine = 0;
  private readonly created = new Set<string>();

  isNewRelation(relation: RangeVar | undefined): boolean {
    return relation?.relname !== undefined && this.created.has(key([relation.schemaname, relation.relname]));
  }

  /** For DROP/RENAME targets given as name lists, type names or function signatures. */
  isNewObject(name: Node): boolean {
    return this.created.has(key(nameParts(name)));
  }

  /** Records what a statement creates or how it moves the transaction state; call after its rules ran. */
  record(node: Node, line: number): void {
    if ('CreateStmt' in node) this.addRelation(node.CreateStmt.relation);
    else if ('CreateTableAsStmt' in node) this.addRelation(node.CreateTableAsStmt.into?.rel);
    else if ('ViewStmt' in node) this.addRelation(node.ViewStmt.view);
    else if ('CreateSeqStmt' in node) this.addRelation(node.CreateSeqStmt.sequence);
    else if ('CompositeTypeStmt' in node) this.addRelation(node.CompositeTypeStmt.typevar);
    else if ('CreateEnumStmt' in node) this.created.add(key((node.CreateEnumStmt.typeName ?? []).flatMap(nameParts)));
    else if ('CreateDomainStmt' in node) this.created.add(key((node.CreateDomainStmt.domainname ?? []).flatMap(nameParts)));
    else if ('CreateFunctionStmt' in node) this.created.add(key((node.CreateFunctionStmt.funcname ?? []).flatMap(nameParts)));
    else if ('RenameStmt' in node && this.isNewRelation(node.RenameStmt.relation) && node.RenameStmt.renameType !== 'OBJECT_COLUMN') {
      // A new table renamed is still new under its new name.
      this.created.add(key([node.RenameStmt.relation?.schemaname, node.RenameStmt.newname]));
    } else if ('TransactionStmt' in node) {
      const kind = node.TransactionStmt.kind;
      if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') {
        this.inTransaction = true;
        this.transactionLine = line;
      } else if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE') this.inTransaction = false;
    }
  }

  private addRelation(relation: RangeVar | undefined): void {
    if (relation?.relname) this.created.add(key([relation.schemaname, relation.relname]));
  }
}

/** `schema.name`, with `public` for an unqualified name (the default search_path). */
function key(parts: (string | undefined)[]): string {
  const defined = parts.filter((p): p is string => p !== undefined && p !== '');
  const name = defined.at(-1) ?? '';
  const schema = defined.length > 1 ? defined.at(-2)! : 'public';
  return `${schema}.${name}`;
}
