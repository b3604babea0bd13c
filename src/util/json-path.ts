/**
 * Reads a dotted path (`checks.db.status`, `projects.0.id`) out of a parsed JSON body; undefined when
 * absent. Own properties only: no body has `toString` or `__proto__` unless it says so (read through
 * inherited members, `exists: [constructor]` held for any object and `__proto__.__proto__` was null).
 */
export function pickJsonPath(body: unknown, path: string): unknown {
  let value: unknown = body;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
