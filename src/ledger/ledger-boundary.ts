import { RewindError } from '../errors/rewind-error.js';
import type { Ledger } from '../ports/ledger.js';
import { redactor } from '../util/redact.js';

/**
 * Where the ledger is, safe to print: a file path as it is, a URL without its password (and through
 * the redactor, for secrets registered elsewhere).
 */
export function ledgerLocation(location: string): string {
  try {
    const url = new URL(location);
    if (url.protocol.startsWith('postgres')) {
      if (url.password) url.password = '***';
      return redactor.redact(url.toString());
    }
  } catch {
    // a file path
  }
  return redactor.redact(location);
}

// Socket errors, and the SQLSTATE classes of a server that went away: 08 (connection exception) and
// 57P01–57P03 (admin shutdown, crash shutdown, cannot connect now).
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '57P01', '57P02', '57P03']);

/** Whether a driver error means the ledger's server cannot be reached (as opposed to a query it refused). */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return /connection terminated|connection ended|not queryable|client was closed|timeout exceeded when trying to connect/i.test(String((error as Error)?.message ?? error));
}

function ledgerFailure(where: string, method: string, error: unknown): RewindError {
  const message = redactor.redact(error instanceof Error ? error.message : String(error));
  const code = (error as { code?: unknown })?.code;
  const unreachable = isUnreachable(error);
  return new RewindError('REWIND_E_LEDGER', `the ledger at ${where} ${unreachable ? 'is unreachable' : 'failed'} (${method}): ${message}`, {
    ledger: where,
    method,
    unreachable,
    reason: message,
    ...(typeof code === 'string' ? { driverCode: code } : {}),
  });
}

/**
 * The ledger's error boundary: every method of `ledger` that throws or rejects with anything but a
 * RewindError (a refused connection, a server shut down mid-deploy, SQLITE_BUSY, a constraint) does
 * so with REWIND_E_LEDGER instead, naming the location and the method. Callers never see a raw
 * driver error, so none can surface as "a bug in rewind", and none has to be wrapped at a call site.
 */
export function guardLedger(ledger: Ledger, location: string): Ledger {
  const where = ledgerLocation(location);
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(ledger, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!wrapped.has(property)) {
        const method = String(property);
        const fail = (error: unknown): never => {
          throw error instanceof RewindError ? error : ledgerFailure(where, method, error);
        };
        wrapped.set(property, (...args: unknown[]) => {
          try {
            const result = (value as (...a: unknown[]) => unknown).apply(target, args);
            return result instanceof Promise ? result.catch(fail) : result;
          } catch (error) {
            return fail(error);
          }
        });
      }
      return wrapped.get(property);
    },
  });
}
