import { expect } from 'vitest';
import { RewindError } from '../../src/errors/rewind-error.js';

/** The RewindError `promise` rejects with (the test fails if it resolves or rejects with anything else). */
export async function rejection(promise: Promise<unknown>): Promise<RewindError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RewindError);
  return error as RewindError;
}
