import type { ErrorBody, ErrorCode, ErrorIssue } from '@org/contracts';

/**
 * An error with a stable code from the contract. Thrown by request handlers (and by the server
 * itself), it becomes a typed `{ ok: false, error }` ack; thrown by a token verifier, it becomes
 * the `connect_error` the client sees.
 */
export class RealtimeError extends Error {
  readonly code: ErrorCode;
  /** A stable, machine-readable detail (e.g. `expired`, `invalid_signature`), safe to log. */
  readonly reason: string | undefined;
  /** Validation problems, for `INVALID_PAYLOAD`. */
  readonly issues: ErrorIssue[] | undefined;

  constructor(code: ErrorCode, message: string, options?: { reason?: string; issues?: ErrorIssue[]; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RealtimeError';
    this.code = code;
    this.reason = options?.reason;
    this.issues = options?.issues;
  }

  toBody(): ErrorBody {
    return this.issues
      ? { code: this.code, message: this.message, issues: this.issues }
      : { code: this.code, message: this.message };
  }
}

export function isRealtimeError(error: unknown): error is RealtimeError {
  return error instanceof RealtimeError;
}
