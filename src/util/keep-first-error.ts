import { RewindError } from '../errors/rewind-error.js';

/**
 * Runs `work`, then `cleanup` whatever happened: a `try/finally` whose cleanup cannot hide the real
 * failure. When `work` threw, that error is the one that explains what went wrong (and a cleanup
 * after it often fails for the same reason: the ledger that just went away cannot release a lock
 * either), so a cleanup failure is attached to it as `details.cleanupErrors` ("<what>: <message>")
 * and the first error is rethrown. When `work` succeeded, a cleanup failure is the error.
 */
export async function withCleanup<T>(work: () => Promise<T>, what: string, cleanup: () => Promise<void>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (primary) {
    try {
      await cleanup();
    } catch (secondary) {
      attachCleanupError(primary, what, secondary);
    }
    throw primary;
  }
  await cleanup();
  return result;
}

function attachCleanupError(primary: unknown, what: string, secondary: unknown): void {
  const line = `${what}: ${secondary instanceof Error ? secondary.message : String(secondary)}`;
  if (primary instanceof RewindError) {
    const earlier = Array.isArray(primary.details.cleanupErrors) ? (primary.details.cleanupErrors as string[]) : [];
    primary.details.cleanupErrors = [...earlier, line];
  } else if (primary instanceof Error) {
    // Uncoded errors surface as REWIND_E_INTERNAL with their message; keep the cleanup failure in it.
    primary.message = `${primary.message} (and ${line})`;
  }
}
