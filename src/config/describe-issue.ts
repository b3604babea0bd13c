import type { z } from 'zod';
import { closestMatches, didYouMean } from '../util/did-you-mean.js';
import { knownKeysAt } from './schema-keys.js';
import { isSecretName } from './parts/secret-policy.js';
import { scalarAt } from './yaml-scalar-source.js';

/** What a problem is described against: the schema, the document it checked, and the YAML it came from. */
export interface IssueContext {
  schema: z.core.$ZodType;
  /** The parsed (interpolated) document. */
  input: unknown;
  /** The YAML text, to quote a value exactly as written (`1.10`, not the 1.1 it parsed to). */
  text?: string;
}

/**
 * One line per problem, naming the dotted key path and saying what to write instead:
 * `environments.production.target.path: required`, `….target.kep: unknown key; did you mean keep?`,
 * `….runtime.env.PORT: expected a string, got the number 3000: quote it ("3000")`.
 * Values are shown only where they cannot be secrets: numbers, booleans and empty values (which
 * interpolation never produces), a string only as written in the file (a quoted "4", never what a
 * ${VAR} resolved to) or from a fixed vocabulary (yes/no), and never under a secret-looking key
 * (secret-policy.ts).
 */
export function formatIssue(issue: z.core.$ZodIssue, context?: IssueContext): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${path}: required`;
  // A record key that fails its own schema (an environment name): say why, not only "Invalid key in record".
  if (issue.code === 'invalid_key') return `${path}: ${issue.issues.map((inner) => inner.message).join('; ')}`;
  if (issue.code === 'unrecognized_keys') {
    const known = context ? knownKeysAt(context.schema, issue.path, context.input) : undefined;
    return issue.keys.map((key) => `${path === '(root)' ? key : `${path}.${key}`}: unknown key${known ? nearest(key, known) : ''}`).join('; ');
  }
  if (issue.code === 'invalid_type') return `${path}: ${wrongType(issue, context)}`;
  if (issue.code === 'invalid_value' && typeof issue.input === 'string') {
    const guess = didYouMean(closestMatches(issue.input, issue.values.filter((v): v is string => typeof v === 'string')));
    if (guess) return `${path}: ${issue.message}; ${guess}`;
  }
  if (issue.code === 'invalid_union') {
    const line = unionMismatch(issue, context);
    if (line) return `${path}: ${line}`;
  }
  // A discriminated union with a tag it does not know (`type: relases`): the tags it knows, and the nearest.
  if (issue.code === 'invalid_union' && 'discriminator' in issue && Array.isArray((issue as { options?: unknown }).options)) {
    const tags = ((issue as { options: unknown[] }).options).map(String);
    const tag = issue.input && typeof issue.input === 'object' ? (issue.input as Record<string, unknown>)[String(issue.discriminator)] : undefined;
    const allowed = tags.length === 1 ? tags[0]! : `one of ${tags.join(', ')}`;
    if (tag === undefined) return `${path}: required: ${allowed}`;
    const guess = typeof tag === 'string' && tags.length > 1 ? didYouMean(closestMatches(tag, tags)) : undefined;
    return `${path}: expected ${allowed}${guess ? `; ${guess}` : ''}`;
  }
  return `${path}: ${issue.message}`;
}

function nearest(key: string, known: string[]): string {
  const guess = didYouMean(closestMatches(key, known));
  return guess ? `; ${guess}` : ` (known here: ${known.join(', ')})`;
}

const NUMERIC = /^[-+]?(\d[\d_]*\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** What was found instead of the expected type, and how to write it (when rewind can tell). */
interface Mismatch {
  got: string;
  fix?: string;
}

/** "expected a string, got the number 123: quote it ("123")", and the other common mix-ups YAML invites. */
function wrongType(issue: z.core.$ZodIssueInvalidType, context: IssueContext | undefined): string {
  const { got, fix } = mismatch(issue.expected, issue.input, issue.path, context);
  return `expected ${article(issue.expected)}, got ${got}${fix ? `: ${fix}` : ''}`;
}

/**
 * A union of plain types (`status: 200` or `[200, 204]`) that the value fits none of: every type it
 * allows, and the fix for the first one a fix is known for (a quoted number: remove the quotes).
 * Undefined when a branch failed for another reason than the value's type.
 */
function unionMismatch(issue: z.core.$ZodIssueInvalidUnion, context: IssueContext | undefined): string | undefined {
  const branches = issue.errors;
  if (branches.length === 0 || !branches.every((b) => b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0)) return undefined;
  const expected = [...new Set(branches.map((b) => (b[0] as z.core.$ZodIssueInvalidType).expected))];
  const found = expected.map((e) => mismatch(e, issue.input, issue.path, context));
  const { got, fix } = found.find((m) => m.fix) ?? found[0]!;
  return `expected ${expected.map(article).join(' or ')}, got ${got}${fix ? `: ${fix}` : ''}`;
}

function mismatch(expected: string, input: unknown, path: readonly PropertyKey[], context: IssueContext | undefined): Mismatch {
  const secret = path.some((segment) => typeof segment === 'string' && isSecretName(segment));
  const scalar = context?.text !== undefined ? scalarAt(context.text, path) : undefined;
  const written = scalar?.style === 'plain' ? scalar.text : undefined;
  if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean' || input === null)) {
    const kind = input === null ? 'an empty value' : `a ${typeof input}`;
    if (input === null && !written) return { got: 'an empty value', fix: 'write one' };
    if (secret) return { got: kind, fix: 'quote the value' };
    const as = written ?? String(input);
    // YAML 1.2 reads 1.10 as the number 1.1, 0x1F as 31, 012 as 12, ~ as null: say so, and quote what was written.
    const got = input === null ? `null (YAML reads ${as} as null)` : as === String(input) ? `the ${typeof input} ${as}` : `${kind} (YAML reads ${as} as ${String(input)})`;
    return { got, fix: `quote it (${JSON.stringify(as)})` };
  }
  if ((expected === 'number' || expected === 'int') && typeof input === 'string') {
    // Only a number quoted in the file itself: "${PORT}" resolves to a string whatever the quotes.
    if (scalar?.style === 'quoted' && scalar.text === input && NUMERIC.test(input.trim())) return { got: 'a quoted string', fix: `remove the quotes${secret ? '' : ` (${input.trim()})`}` };
    return { got: 'a string' };
  }
  if (expected === 'int' && typeof input === 'number') return { got: secret ? 'a fraction' : String(input) };
  if (expected === 'boolean' && typeof input === 'string') {
    // YAML 1.1 read yes/no/on/off as booleans; YAML 1.2, which rewind reads, keeps them strings.
    if (/^(yes|no|on|off|y|n)$/i.test(input)) return { got: `the string ${JSON.stringify(input)} (YAML 1.2 reads only true and false as booleans)`, fix: 'write true or false' };
    if (scalar?.style === 'quoted' && scalar.text === input && /^(true|false)$/i.test(input)) return { got: 'a quoted string', fix: `remove the quotes (${input.toLowerCase()})` };
    return { got: 'a string' };
  }
  return { got: describe(input) };
}

function article(expected: string): string {
  const names: Record<string, string> = { array: 'a list', object: 'a mapping (key: value)', record: 'a mapping (key: value)', int: 'a whole number', boolean: 'true or false' };
  return names[expected] ?? (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);
}

function describe(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `a ${typeof input}`;
}
