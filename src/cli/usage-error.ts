// The error `emperor` stops on when its command line or --config is wrong: exit code 2 with the message.
import { EmperorError, failure, type ErrorCode } from '../core/errors.ts';

/** A usage error: exit code 2 with the message. */
export class UsageError extends EmperorError {
  constructor(message: string, code: ErrorCode = 'E_USAGE') {
    super(failure(code, message));
  }
}

/** Throws a UsageError (for option readers that take a fail function). */
export function usageFail(message: string, code: ErrorCode = 'E_USAGE'): never {
  throw new UsageError(message, code);
}
