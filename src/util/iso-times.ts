/**
 * One time format in every JSON document rewind prints: ISO 8601 in UTC ("2026-03-01T12:00:00.000Z"),
 * as `status` always did. The ledger keeps times as epoch milliseconds (they sort and subtract);
 * by convention every time field is named `at` or ends in `At` (startedAt, finishedAt, createdAt,
 * updatedAt, deletedAt, expiresAt, acquiredAt, heartbeatAt), so this one replacer turns them all
 * into ISO strings on the way out, wherever they are nested — history's steps, a release list,
 * the backups of `db list`, an event's data. Durations (`durationMs`, `ms`) stay numbers.
 */
const TIME_KEY = /^(?:at|[a-z][A-Za-z0-9]*At)$/;

export function isoTimes(this: unknown, key: string, value: unknown): unknown {
  return typeof value === 'number' && TIME_KEY.test(key) && Number.isFinite(value) ? new Date(value).toISOString() : value;
}

/** JSON.stringify with every time field as ISO 8601 UTC. */
export const toJson = (value: unknown): string => JSON.stringify(value, isoTimes);

/** The same conversion as a value, for writers that serialize themselves (webhooks, notifiers). */
export const withIsoTimes = <T>(value: T): T => JSON.parse(toJson(value)) as T;
