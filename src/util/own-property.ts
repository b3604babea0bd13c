/**
 * Lookups by a name that came from outside: argv, rewind.yaml, the ledger, an HTTP body. Every plain
 * object inherits `constructor`, `toString`, `valueOf`, `hasOwnProperty`, `__proto__`…, so
 * `table[name]` finds a function (or Object.prototype) for those names and `name in table` is true.
 * These see a record's own properties only.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * A record without a prototype, for maps whose keys come from input: no inherited names, and a key
 * `__proto__` is an ordinary own property instead of the setter that replaces the prototype.
 */
export function nullPrototypeRecord<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  for (const [key, value] of entries) record[key] = value;
  return record;
}
