/**
 * Fault injection for the crash tests, in the manner of etcd's and TiKV's failpoints: the test
 * names places in an operation, and the process SIGKILLs itself there — exactly what an OOM kill,
 * a crashed CI runner or a lost host does, at a moment chosen instead of hoped for.
 *
 * `REWIND_FAILPOINTS` is a comma-separated list of `<plan kind>:<step id>:<where>`:
 * - `begin`: the journal says the step runs; nothing of it has been done yet;
 * - `end`: the step did its work; the journal does not say so yet;
 * - `after=<ms>`: that long into the step (the middle of a long step: a reload, a restore);
 * and `<plan kind>:operation:<where>` with `created` (before the first step), `ran` (after the last
 * step, before the operation is closed) and `handover` (a failed deploy created its rollback).
 *
 * Unset, every check is one Set lookup on an empty set.
 */
const points = new Map<string, number | true>();
for (const entry of (process.env.REWIND_FAILPOINTS ?? '').split(',')) {
  const [name, value] = entry.trim().split('=');
  if (name) points.set(name, value === undefined ? true : Number(value));
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL cannot be caught; this line is never reached, but the type system cannot know it.
  throw new Error('unreachable');
}

/** Dies here if `point` is armed. */
export function failpoint(point: string): void {
  if (points.size > 0 && points.get(point) === true) die();
}

/** Arms `<point>` given as `after=<ms>`: dies that long from now unless the returned disarm runs first. */
export function failpointAfter(point: string): () => void {
  const ms = points.size > 0 ? points.get(`${point}:after`) : undefined;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return () => undefined;
  const timer = setTimeout(die, ms);
  return () => clearTimeout(timer);
}
