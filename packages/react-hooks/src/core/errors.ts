import type { ErrorBody, ErrorCode, ErrorIssue } from '@org/contracts';

/**
 * A request that failed: an error ack from the server, an error response from the REST API, a
 * timeout or no connection. `code` is the contract's closed set of error codes.
 */
export class RealtimeRequestError extends Error {
  override readonly name = 'RealtimeRequestError';
  readonly code: ErrorCode;
  readonly issues: ErrorIssue[] | undefined;
  /** The socket event or REST path that failed. */
  readonly request: string;
  /** The HTTP status, for REST requests. */
  readonly status: number | undefined;

  constructor(request: string, body: ErrorBody, status?: number) {
    super(body.message);
    this.code = body.code;
    this.issues = body.issues;
    this.request = request;
    this.status = status;
  }
}

export function isRealtimeRequestError(error: unknown): error is RealtimeRequestError {
  return error instanceof RealtimeRequestError;
}
