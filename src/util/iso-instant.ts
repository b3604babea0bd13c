/**
 * An instant written in ISO 8601, as people and `git log --format=%cI` write it: a date
 * (`2026-09-01`, midnight UTC) or a date and time with an optional offset (`2026-09-01T12:00:00Z`,
 * `2026-09-01T14:00:00+02:00`; none given: UTC, never the local zone of whoever runs rewind).
 * Returns epoch milliseconds, or null for anything else (including impossible dates like 02-30).
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export function parseIsoInstant(text: string): number | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${(frac + '000').slice(0, 3)}${offset}`);
  if (!Number.isFinite(ms)) return null;
  // Date.parse rolls 2026-02-30 over to March: refuse what does not round-trip to the same calendar day.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return ms;
}
