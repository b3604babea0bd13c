/**
 * Where a parsed YAML document uses `__proto__` as a mapping key. js-yaml (and `yaml`) keep it as an
 * ordinary own key rather than setting the prototype, but zod's records skip it without a word: an
 * environment, an `env:` variable or a header named `__proto__` would vanish from the validated
 * config instead of being checked. The loaders refuse such a key, naming its path.
 */
export function prototypeKeyPaths(document: unknown, path: string[] = [], found: string[] = []): string[] {
  if (Array.isArray(document)) document.forEach((item, index) => prototypeKeyPaths(item, [...path, String(index)], found));
  else if (document !== null && typeof document === 'object') {
    for (const [key, value] of Object.entries(document)) {
      if (key === '__proto__') found.push([...path, key].join('.'));
      prototypeKeyPaths(value, [...path, key], found);
    }
  }
  return found;
}

export const PROTOTYPE_KEY_PROBLEM = '"__proto__" is not allowed as a key (JavaScript objects reserve it for their prototype)';
