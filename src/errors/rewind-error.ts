import { shellQuote } from './shell-quote.js';
import { ERROR_REGISTRY, HINT_PLACEHOLDERS, type ErrorCode } from './error-registry.js';

/** An expected failure with a registry code. Messages name the field, argument or resource at fault. */
export class RewindError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  /**
   * `options.cause`: the error this one reports (a driver's, a failed syscall's), kept as Error's
   * `cause` for stack traces and debuggers; not part of toJSON, whose shape the CLI's --json promises.
   */
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options: ErrorOptions = {}) {
    super(message, options);
    this.name = 'RewindError';
    this.code = code;
    this.details = details;
  }

  get exitCode(): number {
    return ERROR_REGISTRY[this.code].exitCode;
  }

  get httpStatus(): number {
    return ERROR_REGISTRY[this.code].httpStatus;
  }

  /** The registry's hint, with the environment and release this error is about filled in (hintFor). */
  get hint(): string {
    return hintFor(this.code, this.details);
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, ...this.details };
  }
}

/**
 * The registry hint of `code` as the operator should read it: each placeholder of HINT_PLACEHOLDERS
 * (`<env>`, `<version>`) is replaced by the value of that name in `details` when the error carries one,
 * so the hint reads `rewind resume staging`, ready to paste (quoted for a shell if it needs to be).
 * A value the error does not know stays a placeholder; docs/errors.md shows the placeholder form.
 */
export function hintFor(code: ErrorCode, details: Record<string, unknown>): string {
  let hint: string = ERROR_REGISTRY[code].hint;
  for (const name of HINT_PLACEHOLDERS) {
    const value = details[name];
    if (typeof value === 'string' && value !== '') hint = hint.replaceAll(`<${name}>`, shellQuote(value));
  }
  return hint;
}

/**
 * `error` as the error of environment `env`: a RewindError from a layer that did not know the
 * environment (a smoke suite file, say) gets `details.env`, so its hint names it (hintFor). Anything
 * else, or an error that already names an environment, is returned as it is.
 */
export function inEnvironment(error: unknown, env: string): unknown {
  if (!(error instanceof RewindError) || error.details.env !== undefined) return error;
  return new RewindError(error.code, error.message, { ...error.details, env }, 'cause' in error ? { cause: error.cause } : {});
}

export function isRewindError(value: unknown): value is RewindError {
  return value instanceof RewindError;
}

/** Wraps anything thrown into a RewindError (the thrown value its cause), keeping coded errors as they are. */
export function toRewindError(value: unknown): RewindError {
  if (value instanceof RewindError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new RewindError('REWIND_E_INTERNAL', message, {}, { cause: value });
}
