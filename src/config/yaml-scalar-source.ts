import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event } from 'js-yaml';

/** A scalar as written: its text (without quotes) and how it was written. */
export interface WrittenScalar {
  text: string;
  style: 'plain' | 'quoted' | 'block';
}

/**
 * The scalar at `path` in a YAML document as written: `1.10` where the parsed value is the number
 * 1.1, `0x1F` where it is 31, `012` where it is 12; and whether it was quoted. Errors that say
 * "quote it" or "remove the quotes" show what was written. Undefined when the path does not lead to
 * a scalar written in place (an alias, a merge key's value) or the text does not parse.
 * Only called on the error path: it parses the text again.
 */
export function scalarAt(text: string, path: readonly PropertyKey[]): WrittenScalar | undefined {
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  let at = events.findIndex((event) => event.type !== EVENT_ID.DOCUMENT);
  if (at < 0) return undefined;

  /** The index just past the node that starts at `i`. */
  const skip = (i: number): number => {
    const type = events[i]?.type;
    if (type !== EVENT_ID.MAPPING && type !== EVENT_ID.SEQUENCE) return i + 1;
    let depth = 0;
    for (let j = i; j < events.length; j++) {
      const t = events[j]!.type;
      if (t === EVENT_ID.MAPPING || t === EVENT_ID.SEQUENCE) depth++;
      else if (t === EVENT_ID.POP && --depth === 0) return j + 1;
    }
    return events.length;
  };

  for (const segment of path) {
    const node = events[at];
    if (node?.type === EVENT_ID.MAPPING) {
      let i = at + 1;
      let found = -1;
      while (found < 0 && i < events.length && events[i]!.type !== EVENT_ID.POP) {
        const key = events[i]!;
        const valueAt = skip(i);
        if (key.type === EVENT_ID.SCALAR && getScalarValue(text, key) === String(segment)) found = valueAt;
        i = skip(valueAt);
      }
      if (found < 0) return undefined;
      at = found;
    } else if (node?.type === EVENT_ID.SEQUENCE && typeof segment === 'number') {
      let i = at + 1;
      for (let n = 0; n < segment && i < events.length && events[i]!.type !== EVENT_ID.POP; n++) i = skip(i);
      if (i >= events.length || events[i]!.type === EVENT_ID.POP) return undefined;
      at = i;
    } else return undefined;
  }
  const scalar = events[at];
  if (scalar?.type !== EVENT_ID.SCALAR) return undefined;
  const style = scalar.style === SCALAR_STYLE.PLAIN ? 'plain' : scalar.style === SCALAR_STYLE.SINGLE_QUOTED || scalar.style === SCALAR_STYLE.DOUBLE_QUOTED ? 'quoted' : 'block';
  return { text: style === 'plain' ? text.slice(scalar.valueStart, scalar.valueEnd) : getScalarValue(text, scalar), style };
}
