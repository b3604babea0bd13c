/**
 * Just enough GraphQL (the October 2021 spec) for the fake Railway API to read what clients send:
 * one operation (query or mutation, optionally named, with variable definitions), fields with
 * arguments (literals, `$variables`, lists and input objects), nested selection sets, and aliases.
 * No fragments or directives: rewind sends none, and anything the parser does not know is a syntax
 * error, as a real server would answer, not silently ignored.
 */

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value } | { $var: string };

export interface Field {
  alias: string;
  name: string;
  args: Record<string, Value>;
  selections: Field[] | null;
}

export interface Operation {
  type: 'query' | 'mutation';
  name: string | null;
  variables: string[];
  selections: Field[];
}

export class GraphqlSyntaxError extends Error {}

const TOKEN = /\s*(?:(#[^\n]*)|(\.\.\.|[!$():=@[\]{}|,])|([_A-Za-z][_0-9A-Za-z]*)|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|("(?:[^"\\\n]|\\.)*"))/y;

function tokenize(source: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (!match) {
      if (/^\s*$/.test(source.slice(at))) break;
      throw new GraphqlSyntaxError(`Syntax Error: Unexpected character at ${at}.`);
    }
    if (match[1] || match[0].trim() === '' || match[2] === ',') continue; // comments and commas are insignificant
    tokens.push(match[0].trim());
  }
  return tokens;
}

export function parseOperation(source: string): Operation {
  const tokens = tokenize(source);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    if (i >= tokens.length) throw new GraphqlSyntaxError('Syntax Error: Unexpected <EOF>.');
    return tokens[i++]!;
  };
  const expect = (t: string) => {
    const got = next();
    if (got !== t) throw new GraphqlSyntaxError(`Syntax Error: Expected "${t}", found "${got}".`);
  };
  const name = () => {
    const got = next();
    if (!/^[_A-Za-z]/.test(got)) throw new GraphqlSyntaxError(`Syntax Error: Expected Name, found "${got}".`);
    return got;
  };
  const value = (): Value => {
    const t = next();
    if (t === '$') return { $var: name() };
    if (t.startsWith('"')) return JSON.parse(t) as string;
    if (/^-?\d/.test(t)) return Number(t);
    if (t === 'true' || t === 'false') return t === 'true';
    if (t === 'null') return null;
    if (t === '[') {
      const list: Value[] = [];
      while (peek() !== ']') list.push(value());
      expect(']');
      return list;
    }
    if (t === '{') {
      const object: Record<string, Value> = {};
      while (peek() !== '}') {
        const key = name();
        expect(':');
        object[key] = value();
      }
      expect('}');
      return object;
    }
    if (/^[_A-Za-z]/.test(t)) return t; // an enum value
    throw new GraphqlSyntaxError(`Syntax Error: Unexpected "${t}".`);
  };
  const selectionSet = (): Field[] => {
    expect('{');
    const fields: Field[] = [];
    while (peek() !== '}') {
      if (peek() === '...' || peek() === '@') throw new GraphqlSyntaxError('Syntax Error: fragments and directives are not supported by this fake.');
      let alias = name();
      let fieldName = alias;
      if (peek() === ':') {
        next();
        fieldName = name();
      }
      const args: Record<string, Value> = {};
      if (peek() === '(') {
        next();
        while (peek() !== ')') {
          const arg = name();
          expect(':');
          args[arg] = value();
        }
        expect(')');
      }
      fields.push({ alias, name: fieldName, args, selections: peek() === '{' ? selectionSet() : null });
    }
    expect('}');
    if (fields.length === 0) throw new GraphqlSyntaxError('Syntax Error: Expected Name, found "}".');
    return fields;
  };

  let type: Operation['type'] = 'query';
  let opName: string | null = null;
  const variables: string[] = [];
  if (peek() === 'query' || peek() === 'mutation') {
    type = next() as Operation['type'];
    if (peek() !== '{' && peek() !== '(') opName = name();
    if (peek() === '(') {
      next();
      while (peek() !== ')') {
        expect('$');
        variables.push(name());
        expect(':');
        // The type: Name, [Type], with ! anywhere.
        let depth = 0;
        do {
          const t = next();
          if (t === '[') depth++;
          else if (t === ']') depth--;
        } while (depth > 0 || peek() === '!' || peek() === ']');
        if (peek() === '=') {
          next();
          value();
        }
      }
      expect(')');
    }
  }
  const selections = selectionSet();
  if (i !== tokens.length) throw new GraphqlSyntaxError(`Syntax Error: Unexpected "${tokens[i]}"; one operation per request.`);
  return { type, name: opName, variables, selections };
}

/** An argument's value with the request's variables put in (an undeclared one is an error, as in the spec). */
export function resolveValue(value: Value, variables: Record<string, unknown>, declared: string[]): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && '$var' in value) {
    const name = (value as { $var: string }).$var;
    if (!declared.includes(name)) throw new GraphqlSyntaxError(`Variable "$${name}" is not defined.`);
    return variables[name] ?? null;
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, variables, declared));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, variables, declared)]));
  return value;
}
