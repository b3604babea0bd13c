import type { z } from 'zod';

// The keys a config schema allows at a path, for "unknown key; did you mean …?". Zod's issue says
// which keys are unknown, not which are known, so the schema is walked along the path, with
// the input alongside it to choose the branch of a union (a target's `type`, a database's `engine`).

type Schema = z.core.$ZodType;
// The slice of zod's (stable, typed) schema definitions this walk reads.
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  valueType?: Schema;
  element?: Schema;
  options?: Schema[];
  discriminator?: string;
  values?: unknown[];
  getter?: () => Schema;
}

const def = (schema: Schema): Def => schema._zod.def as unknown as Def;

/** The schema that checks the value itself: through optional, default, prefault, nullable, pipes and lazies. */
function unwrap(schema: Schema): Schema {
  for (;;) {
    const d = def(schema);
    if (d.innerType) schema = d.innerType;
    else if (d.type === 'pipe' && d.in) schema = d.in;
    else if (d.type === 'lazy' && d.getter) schema = d.getter();
    else return schema;
  }
}

/** The object schemas a union may mean for `value`: the branch its discriminator names, else every object branch. */
function branches(schema: Schema, value: unknown): Schema[] {
  const s = unwrap(schema);
  const d = def(s);
  if (d.type !== 'union' || !d.options) return [s];
  const all = d.options.flatMap((option) => branches(option, value));
  const tag = d.discriminator && value && typeof value === 'object' ? (value as Record<string, unknown>)[d.discriminator] : undefined;
  if (d.discriminator && tag !== undefined) {
    const chosen = all.filter((option) => {
      const field = def(option).shape?.[d.discriminator!];
      return field !== undefined && (def(unwrap(field)).values ?? []).includes(tag);
    });
    if (chosen.length) return chosen;
  }
  return all;
}

function child(schema: Schema, key: string | number, value: unknown): Schema | undefined {
  for (const branch of branches(schema, value)) {
    const d = def(branch);
    if (d.type === 'object' && d.shape && Object.hasOwn(d.shape, String(key))) return d.shape[String(key)];
    if (d.type === 'record' && d.valueType) return d.valueType;
    if (d.type === 'array' && d.element) return d.element;
  }
  return undefined;
}

/**
 * The keys the object at `path` may have, in the schema's order; undefined when the path does not
 * lead to an object schema. `input` is the document being validated (after interpolation).
 */
export function knownKeysAt(schema: Schema, path: readonly PropertyKey[], input: unknown): string[] | undefined {
  let current: Schema | undefined = schema;
  let value = input;
  for (const segment of path) {
    if (typeof segment === 'symbol') return undefined;
    current = child(current, segment, value);
    if (!current) return undefined;
    value = value && typeof value === 'object' && Object.hasOwn(value, segment) ? (value as Record<string | number, unknown>)[segment] : undefined;
  }
  const keys = branches(current, value).flatMap((branch) => Object.keys(def(branch).type === 'object' ? (def(branch).shape ?? {}) : {}));
  return keys.length ? [...new Set(keys)] : undefined;
}
