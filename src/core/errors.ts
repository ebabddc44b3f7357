// One vocabulary for failures: one failure type with a code from the registry (error-codes.ts), the
// shapes that carry it, and one way to name a system error in a message.
import type { ErrorCode } from './error-codes.ts';

/** The codes, re-exported so callers take the whole vocabulary from this one module. */
export type { ErrorCode } from './error-codes.ts';

/** A failure an operator can meet: its code, the message shown (unchanged by the code), where, and why. */
export interface Failure {
  code: ErrorCode;
  message: string;
  file?: string;
  line?: number;
  cause?: unknown;
}

/**
 * What a check that can fail returns. A value check (a duration, a word list) may leave the code to
 * whoever reads it for a key (E_VALUE_INVALID); everything else names its code.
 */
export type Outcome<T> = { ok: true; value: T } | ({ ok: false; message: string; code?: ErrorCode } & Omit<Failure, 'code' | 'message'>);

/**
 * A failed attempt where success is an object (a process, a socket, a spawn): `error` is the message,
 * as callers that test `'error' in x` read it; `failure` carries the rest.
 */
export interface Failed {
  error: string;
  failure: Failure;
}

/** A failure with its code. */
export function failure(code: ErrorCode, message: string, more: Omit<Failure, 'code' | 'message'> = {}): Failure {
  return { code, message, ...more };
}

/** A failed attempt (see Failed). */
export function failed(code: ErrorCode, message: string, more: Omit<Failure, 'code' | 'message'> = {}): Failed {
  return { error: message, failure: failure(code, message, more) };
}

/** A Failed from a failure already built. */
export function failedWith(f: Failure): Failed {
  return { error: f.message, failure: f };
}

/** A failed Outcome with its code. */
export function fail<T>(code: ErrorCode, message: string, more: Omit<Failure, 'code' | 'message'> = {}): Outcome<T> {
  return { ok: false, message, code, ...more };
}

/** The failure of a failed Outcome, its code filled in by the reader when the check left it (`fallback`). */
export function failureOf(o: { message: string; code?: ErrorCode; cause?: unknown }, fallback: ErrorCode): Failure {
  return o.cause === undefined ? { code: o.code ?? fallback, message: o.message } : { code: o.code ?? fallback, message: o.message, cause: o.cause };
}

/** A thrown failure (startup, the CLI): an Error whose message is the failure's, keeping its code and cause. */
export class EmperorError extends Error {
  readonly failure: Failure;
  constructor(f: Failure) {
    super(f.message, f.cause === undefined ? undefined : { cause: f.cause });
    this.failure = f;
  }
}

/** Names a system error the way every message does: its errno code (`ENOENT`), else its message. */
export function describeErrno(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return code;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

/** The errno code of a system error (`ENOENT`), or null when it has none. */
export function errnoOf(err: unknown): string | null {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : null;
}

/** A Failed from an `{ error }` a caller not yet migrated returned: its failure if it has one, else `fallback`'s. */
export function asFailed(x: { error: string; failure?: Failure }, fallback: ErrorCode): Failed {
  return x.failure !== undefined ? { error: x.error, failure: x.failure } : failed(fallback, x.error);
}
