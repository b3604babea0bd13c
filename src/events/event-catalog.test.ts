import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// The config names events too (webhook defaults): the test reads it; the catalog itself depends on no config.
import { notifySettingsSchema } from '../config/config-schema.js';
import { LIVE_ONLY_EVENTS } from '../ports/step-progress.js';
import { EVENT_CATALOG, EVENT_NAMES, type EventName } from './event-catalog.js';

/** A catalog entry's fields as the doc writes them: `name`, or `name?` for one that may be absent. */
const fieldList = (name: EventName): string[] => Object.entries(EVENT_CATALOG[name].fields).map(([field, presence]) => (presence === 'optional' ? `${field}?` : field));

// docs/events.md is the operator-facing copy of the catalog; they must never drift apart.
describe('event catalog and docs/events.md', () => {
  const doc = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
  const rows = new Map(
    [...doc.matchAll(/^\| `([a-z_]+)` \| (.+) \| ((?:`[A-Za-z0-9]+\??`(?:, )?)+) \|$/gm)].map((m) => [m[1]!, { when: m[2]!, fields: [...m[3]!.matchAll(/`([A-Za-z0-9]+\??)`/g)].map((f) => f[1]!) }]),
  );

  it('documents every event in the catalog, with when it is emitted and its fields in the same order', () => {
    for (const name of EVENT_NAMES) {
      expect(rows.get(name), `${name}: its row in docs/events.md is missing or differs`).toEqual({ when: EVENT_CATALOG[name].when, fields: fieldList(name) });
    }
  });

  it('lists no event that the catalog does not have', () => {
    const stale = [...rows.keys()].filter((name) => !Object.hasOwn(EVENT_CATALOG, name));
    expect(stale).toEqual([]);
  });

  it('reads every row of the table (a row the pattern cannot read would escape both checks)', () => {
    const tableRows = doc.split('\n').filter((line) => /^\| `/.test(line));
    expect(tableRows).toHaveLength(rows.size);
  });

  it('names only catalog events where events are chosen or filtered by name', () => {
    const defaults = notifySettingsSchema.parse({ webhooks: [{ url: 'https://hooks.example.com/x' }] }).webhooks[0]!.events;
    expect(defaults.filter((name) => !Object.hasOwn(EVENT_CATALOG, name))).toEqual([]);
    expect([...LIVE_ONLY_EVENTS].filter((name) => !Object.hasOwn(EVENT_CATALOG, name))).toEqual([]);
  });

  it('gives every event a description and an env, but demo_complete (a stdout line, not an environment\'s event)', () => {
    for (const name of EVENT_NAMES) {
      expect(EVENT_CATALOG[name].when.length, name).toBeGreaterThan(10);
      expect(Object.hasOwn(EVENT_CATALOG[name].fields, 'env'), name).toBe(name !== 'demo_complete');
    }
  });
});
