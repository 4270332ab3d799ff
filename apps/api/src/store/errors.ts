import type { ErrorCode, ErrorIssue } from '@org/contracts';
import { toErrorIssues } from '@org/contracts';
import type { z } from 'zod';

/** Every failure of the store, with a contract error code an API can map to a response. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: ErrorCode;
  readonly issues: ErrorIssue[] | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; issues?: ErrorIssue[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues;
  }

  static invalid(message: string, zodError?: z.ZodError): StoreError {
    return new StoreError('INVALID_PAYLOAD', message, zodError ? { issues: toErrorIssues(zodError) } : {});
  }
}

export function isStoreError(error: unknown): error is StoreError {
  return error instanceof StoreError;
}

// Node socket errors and node-postgres / PGlite messages that mean "the database is not there".
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
]);
const unreachableMessages = [
  /connection terminated/i,
  /connection timeout/i,
  /cannot use a pool after calling end/i,
  /client has encountered a connection error/i,
  /client was closed/i,
  /pglite is closed/i,
];

/** Maps a driver error to a `StoreError`; SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html */
export function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : String(error);
  if (code === '23505') return new StoreError('CONFLICT', 'already exists', { cause: error });
  if (/^(22|23)/.test(code)) return new StoreError('INVALID_PAYLOAD', message, { cause: error });
  // 08: connection exception, 28: authentication, 3D000: no such database, 53: resources, 57P: shutdown.
  if (/^(08|28|53|57P)/.test(code) || code === '3D000' || unreachableCodes.has(code)) {
    return new StoreError('UNAVAILABLE', `database unavailable: ${message}`, { cause: error });
  }
  if (error instanceof AggregateError || unreachableMessages.some((pattern) => pattern.test(message))) {
    return new StoreError('UNAVAILABLE', `database unavailable: ${message}`, { cause: error });
  }
  return new StoreError('INTERNAL', `database error: ${message}`, { cause: error });
}

export function closedError(): StoreError {
  return new StoreError('UNAVAILABLE', 'the store is closed');
}
