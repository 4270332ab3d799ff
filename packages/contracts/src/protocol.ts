import { z } from 'zod';
import { ErrorCode } from './errors.js';

/**
 * The wire protocol's major version. Bump it for every breaking change to the catalog (the
 * schema snapshot test enforces this); a client speaking another version is refused at connect.
 */
export const PROTOCOL_VERSION = 1;

/** Stream cursors: the last sequence number a client saw, per stream. */
export const StreamCursors = z
  .record(z.string().min(1).max(200), z.number().int().nonnegative())
  .refine((cursors) => Object.keys(cursors).length <= 64, 'at most 64 streams can be resumed at once');
export type StreamCursors = z.infer<typeof StreamCursors>;

/** What a client sends as Socket.IO's `auth` in the handshake. */
export const HandshakeAuth = z.object({
  token: z.string().min(1).max(8192),
  protocol: z.number().int().positive(),
});
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;

/** Exactly why a connection was refused: clients act on `code`; operators and tests read this. */
export const ConnectRefusalReason = z.enum([
  'missing_token',
  'malformed_token',
  'invalid_signature',
  'unsupported_algorithm',
  'invalid_claims',
  'expired',
  'protocol_mismatch',
  'too_many_connections',
  'origin_not_allowed',
  'unavailable',
]);
export type ConnectRefusalReason = z.infer<typeof ConnectRefusalReason>;

/** `connect_error.data` when the server refuses a connection. */
export const ConnectErrorData = z.object({
  code: ErrorCode,
  message: z.string(),
  /** Whether trying again with the same credentials can succeed (false: refresh the token first). */
  retryable: z.boolean(),
  reason: ConnectRefusalReason.optional(),
});
export type ConnectErrorData = z.infer<typeof ConnectErrorData>;
