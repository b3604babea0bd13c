/** Reads a dotted path (`checks.db.status`, `projects.0.id`) out of a parsed JSON body; undefined when absent. */
export function pickJsonPath(body: unknown, path: string): unknown {
  let value: unknown = body;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
