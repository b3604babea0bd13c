import { EVENT_ID, type Event } from 'js-yaml';

/**
 * How many nodes the aliases of one document may stand for, together. An anchor shared by a few
 * environments (health settings, a runtime block) is tens of nodes per alias; 100,000 is far beyond
 * any real config and still a few tens of milliseconds to interpolate and validate.
 */
export const MAX_ALIASED_NODES = 100_000;

export interface AliasOverrun {
  /** Offset of the alias (its `*`) in the source. */
  offset: number;
  /** The anchor it names. */
  anchor: string;
  /** `budget`: past MAX_ALIASED_NODES; `cycle`: it names a collection it is inside of. */
  reason: 'budget' | 'cycle';
}

interface OpenNode {
  size: number;
  anchor: { size: number } | null;
}

/**
 * js-yaml builds an alias as a second reference to the anchored value, so parsing stays cheap; but
 * everything that walks the document afterwards (interpolation, validation, the validated-config
 * stamp's digest) meets each reference as a full copy. Nine levels of nine aliases ("billion
 * laughs") are 9^9 nodes from 2 KB of YAML, and an alias inside its own anchor is a cycle that
 * never ends. From the parser events alone, this counts the nodes every alias stands for and
 * returns the first alias past `budget`, or one that closes a cycle; null when there is none.
 * Anchors are looked up as js-yaml does: the latest definition of a name wins, per document.
 */
export function findAliasOverrun(events: readonly Event[], source: string, budget = MAX_ALIASED_NODES): AliasOverrun | null {
  let anchors = new Map<string, { size: number }>();
  const open: OpenNode[] = [];
  let aliased = 0;
  const anchorOf = (event: { anchorStart: number; anchorEnd: number }, size: number) => {
    if (event.anchorStart === -1) return null;
    const anchor = { size };
    anchors.set(source.slice(event.anchorStart, event.anchorEnd), anchor);
    return anchor;
  };
  for (const event of events) {
    const parent = open[open.length - 1];
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        anchors = new Map();
        open.push({ size: 0, anchor: null });
        break;
      case EVENT_ID.SCALAR:
        anchorOf(event, 1);
        if (parent) parent.size += 1;
        break;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING:
        // Infinite until the collection closes: an alias to it before then is inside it.
        open.push({ size: 1, anchor: anchorOf(event, Infinity) });
        break;
      case EVENT_ID.POP: {
        const closed = open.pop()!;
        if (closed.anchor) closed.anchor.size = closed.size;
        const outer = open[open.length - 1];
        if (outer) outer.size += closed.size;
        break;
      }
      case EVENT_ID.ALIAS: {
        const anchor = source.slice(event.anchorStart, event.anchorEnd);
        const size = anchors.get(anchor)?.size;
        if (size === undefined) break; // js-yaml reports the unknown alias with its position
        const offset = Math.max(0, event.anchorStart - 1);
        if (size === Infinity) return { offset, anchor, reason: 'cycle' };
        aliased += size;
        if (aliased > budget) return { offset, anchor, reason: 'budget' };
        if (parent) parent.size += size;
        break;
      }
    }
  }
  return null;
}
