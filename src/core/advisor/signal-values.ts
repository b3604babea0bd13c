import { RewindError } from '../../errors/rewind-error.js';

// The operator's answers arrive as text on the command line; each parser accepts one clear
// spelling, and anything else is REWIND_E_USAGE naming the flag (nothing is read or changed).

const usage = (flag: string, value: string, expected: string) =>
  new RewindError('REWIND_E_USAGE', `${flag} ${JSON.stringify(value)} is not valid: expected ${expected}`, { argument: flag, value });

const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/;

/**
 * `--fix-eta`: a duration with units — `20m`, `1h`, `90s`, `1h30m` — in minutes (90s → 1.5). A bare
 * number is refused: minutes or hours, it is the one answer the advice turns on.
 */
export function parseFixEta(value: string, flag = '--fix-eta'): number {
  const match = DURATION.exec(value.trim());
  if (!value.trim() || !match || match.slice(1).every((part) => part === undefined)) throw usage(flag, value, 'a duration such as 20m, 1h, 90s or 1h30m');
  const [hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number];
  return hours * 60 + minutes + seconds / 60;
}

/** `--error-rate`: a fraction from 0 to 1 (`0.08`) or a percentage (`8%`); returns the fraction. */
export function parseErrorRate(value: string, flag = '--error-rate'): number {
  const text = value.trim();
  const isPercent = text.endsWith('%');
  const number = Number(isPercent ? text.slice(0, -1) : text);
  if (text === '' || text === '%' || !Number.isFinite(number) || number < 0 || number > (isPercent ? 100 : 1)) {
    throw usage(flag, value, 'a fraction from 0 to 1 (0.08) or a percentage (8%)');
  }
  return isPercent ? number / 100 : number;
}

/** `--latency-ratio`: current latency over the baseline, a positive number (`1.8`, or `1.8x`). */
export function parseLatencyRatio(value: string, flag = '--latency-ratio'): number {
  const text = value.trim().replace(/x$/i, '');
  const number = Number(text);
  if (text === '' || !Number.isFinite(number) || number <= 0) throw usage(flag, value, 'current latency over the baseline, e.g. 1.8 for 80 % slower');
  return number;
}

const REACH = ['all', 'many', 'few'] as const;

/** `--users-affected`: all, many or few. */
export function parseUsersAffected(value: string, flag = '--users-affected'): (typeof REACH)[number] {
  if (!(REACH as readonly string[]).includes(value)) throw usage(flag, value, REACH.join(', '));
  return value as (typeof REACH)[number];
}
