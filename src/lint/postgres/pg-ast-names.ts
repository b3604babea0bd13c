import type { Node, RangeVar } from 'libpg-query';

/**
 * Readable names for the objects a statement touches, so a finding says `users.legacy` rather than
 * dumping parse-tree JSON. Identifiers that would need quoting in SQL are shown quoted, exactly as
 * the parser normalised them ("user table", "Drop").
 */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function relationName(relation: RangeVar | undefined): string {
  if (!relation?.relname) return '?';
  return relation.schemaname ? `${ident(relation.schemaname)}.${ident(relation.relname)}` : ident(relation.relname);
}

/** Names given as a list of String nodes (qualified type or object names). */
export function nameList(nodes: Node[] | undefined): string {
  return (nodes ?? []).map((n) => ('String' in n ? ident(n.String.sval ?? '') : '?')).join('.');
}

/** The name of one object in a DROP statement, whatever node shape the object kind uses. */
export function objectName(node: Node): string {
  if ('List' in node) return nameList(node.List.items);
  if ('String' in node) return ident(node.String.sval ?? '');
  if ('TypeName' in node) return nameList(node.TypeName.names);
  if ('ObjectWithArgs' in node) return `${nameList(node.ObjectWithArgs.objname)}(…)`;
  return '?';
}

/** Plain strings of a qualified name, for matching objects created earlier in the file. */
export function nameParts(node: Node): string[] {
  if ('List' in node) return (node.List.items ?? []).flatMap(nameParts);
  if ('String' in node) return [node.String.sval ?? ''];
  if ('TypeName' in node) return (node.TypeName.names ?? []).flatMap(nameParts);
  if ('ObjectWithArgs' in node) return (node.ObjectWithArgs.objname ?? []).flatMap(nameParts);
  return [];
}
