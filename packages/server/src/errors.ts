import { type ErrorBody, ErrorCode, type ErrorIssue } from '@org/contracts';

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

/**
 * The typed error an app's handler meant, whatever class it threw: a `RealtimeError`, or any error
 * carrying a contract `code` (an app's own HTTP or store error, say). Anything else, and a claimed
 * `INTERNAL`, is `undefined`: the caller answers INTERNAL without leaking the message.
 */
export function asRealtimeError(error: unknown): RealtimeError | undefined {
  if (error instanceof RealtimeError) return error;
  const code = ErrorCode.safeParse((error as { code?: unknown } | null)?.code);
  if (!code.success || code.data === 'INTERNAL') return undefined;
  const message = error instanceof Error ? error.message : code.data;
  const issues = (error as { issues?: unknown }).issues;
  return new RealtimeError(code.data, message, {
    cause: error,
    ...(Array.isArray(issues) && { issues: issues as ErrorIssue[] }),
  });
}
