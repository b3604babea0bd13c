import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../config/load-config.js';
import { checklistItems } from './checklist.js';
import { DEFAULT_CHECKLISTS } from './checklist-defaults.js';

const BASE = `environments:
  prod:
    target: { type: releases, path: /srv/app, runtime: { type: pm2, name: app } }
`;
const parse = (extra: string) => parseConfigText(`${BASE}${extra}`, '/etc/rewind', {});

describe('checklists as data: the defaults, overridden per list in rewind.yaml', () => {
  it('without incidents:, the default lists in order, with the 30-minute watch', () => {
    const items = checklistItems(parse(''));
    expect(items.map((i) => i.id)).toEqual([...DEFAULT_CHECKLISTS.pre, ...DEFAULT_CHECKLISTS.during, ...DEFAULT_CHECKLISTS.post].map((i) => i.id));
    expect(items.find((i) => i.id === 'monitor-window')).toMatchObject({ phase: 'post', text: 'Monitor for 30 minutes', proof: 'watch-window' });
  });

  it('a configured list replaces that list only; watchMinutes goes into the texts', () => {
    const items = checklistItems(
      parse(`incidents:
  watchMinutes: 45
  checklists:
    post:
      - { id: monitor-window, text: "Watch for {watchMinutes} minutes", proof: watch-window }
      - { id: tell-support, text: Tell support }
`),
    );
    expect(items.filter((i) => i.phase === 'post')).toEqual([
      { phase: 'post', id: 'monitor-window', text: 'Watch for 45 minutes', proof: 'watch-window' },
      { phase: 'post', id: 'tell-support', text: 'Tell support' },
    ]);
    expect(items.filter((i) => i.phase === 'pre').map((i) => i.id)).toEqual(DEFAULT_CHECKLISTS.pre.map((i) => i.id));
  });

  it('an unknown proof, a bad id or an empty list is a config error naming the key', () => {
    expect(() => parse('incidents:\n  checklists:\n    pre: [{ id: x, text: y, proof: vibes }]\n')).toThrow(/incidents\.checklists\.pre\.0\.proof/);
    expect(() => parse('incidents:\n  checklists:\n    pre: [{ id: "Bad Id", text: y }]\n')).toThrow(/incidents\.checklists\.pre\.0\.id/);
    expect(() => parse('incidents:\n  checklists:\n    during: []\n')).toThrow(/incidents\.checklists\.during/);
  });
});
