import { ERROR_REGISTRY, type ErrorCode } from './error-registry.js';

/** An expected failure with a registry code. Messages name the field, argument or resource at fault. */
export class RewindError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
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

  get hint(): string {
    return ERROR_REGISTRY[this.code].hint;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, ...this.details };
  }
}

export function isRewindError(value: unknown): value is RewindError {
  return value instanceof RewindError;
}

/** Wraps anything thrown into a RewindError, keeping coded errors as they are. */
export function toRewindError(value: unknown): RewindError {
  if (value instanceof RewindError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new RewindError('REWIND_E_INTERNAL', message);
}
