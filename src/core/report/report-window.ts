import { RewindError } from '../../errors/rewind-error.js';
import { parseIsoInstant } from '../../util/iso-instant.js';
import type { DoraWindow } from './dora-metrics.js';

const DAY = 86_400_000;
/** Ten years: a longer window is a typo, not a question. */
const MAX_DAYS = 3650;
export const DEFAULT_SINCE = '90d';

/**
 * `--since`: `90d` (days), `12w` (weeks) back from now, or an ISO date or instant (`2026-09-01`,
 * `2026-09-01T12:00:00Z`); the window ends now. Anything else, a zero length, more than ten years,
 * or a date not in the past is REWIND_E_USAGE naming --since.
 */
export function parseSince(given: string | undefined, now: number): DoraWindow {
  const text = given ?? DEFAULT_SINCE;
  const refuse = (why: string) =>
    new RewindError('REWIND_E_USAGE', `--since takes a length back from now (90d, 12w) or an ISO date (2026-09-01, 2026-09-01T12:00:00Z); ${JSON.stringify(text)} ${why}`, { argument: '--since' });
  const relative = /^(\d{1,5})([dw])$/.exec(text);
  if (relative) {
    const days = Number(relative[1]) * (relative[2] === 'w' ? 7 : 1);
    if (days === 0) throw refuse('is an empty window');
    if (days > MAX_DAYS) throw refuse(`is longer than ${MAX_DAYS} days`);
    return { since: now - days * DAY, until: now };
  }
  const at = parseIsoInstant(text);
  if (at === null) throw refuse('is neither');
  if (at >= now) throw refuse('is not in the past');
  if (now - at > MAX_DAYS * DAY) throw refuse(`is more than ${MAX_DAYS} days ago`);
  return { since: at, until: now };
}
