import { describe, expect, it } from 'vitest';
import { RewindError } from '../errors/rewind-error.js';
import { withCleanup } from './keep-first-error.js';

describe('withCleanup: a failing cleanup never replaces the first error', () => {
  it('rethrows the error of the work, with the cleanup failure attached, and runs the cleanup once', async () => {
    const primary = new RewindError('REWIND_E_LEDGER', 'finishStep failed');
    let cleanups = 0;
    const caught = await withCleanup(
      async () => {
        throw primary;
      },
      'releasing the lock',
      async () => {
        cleanups += 1;
        throw new Error('connect ECONNREFUSED');
      },
    ).catch((error: unknown) => error);
    expect(caught).toBe(primary);
    expect(primary.details.cleanupErrors).toEqual(['releasing the lock: connect ECONNREFUSED']);
    expect(cleanups).toBe(1);
  });

  it('keeps an uncoded first error too, naming the cleanup failure in its message', async () => {
    const caught = await withCleanup(
      async () => {
        throw new Error('boom');
      },
      'closing the target',
      async () => {
        throw new Error('already closed');
      },
    ).catch((error: unknown) => error as Error);
    expect(caught.message).toBe('boom (and closing the target: already closed)');
  });

  it('returns the result when both succeed, and throws the cleanup failure when only it fails', async () => {
    expect(await withCleanup(async () => 42, 'x', async () => undefined)).toBe(42);
    await expect(
      withCleanup(
        async () => 42,
        'releasing the lock',
        async () => {
          throw new RewindError('REWIND_E_LEDGER', 'releaseLock failed');
        },
      ),
    ).rejects.toMatchObject({ code: 'REWIND_E_LEDGER', message: 'releaseLock failed' });
  });
});
