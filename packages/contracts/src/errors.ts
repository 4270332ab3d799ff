import { z } from 'zod';

/** The closed set of error codes, shared by socket acks, connection errors and REST responses. */
export const ErrorCode = z.enum([
  'INVALID_PAYLOAD',
  'UNKNOWN_EVENT',
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'PROTOCOL_MISMATCH',
  'UNAVAILABLE',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** One validation problem, as zod reports it, trimmed to what a client can act on. */
export const ErrorIssue = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
  code: z.string().optional(),
});
export type ErrorIssue = z.infer<typeof ErrorIssue>;

export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  issues: z.array(ErrorIssue).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** REST error responses: `{ error: { code, message, issues? } }`. */
export const ApiErrorResponse = z.object({ error: ErrorBody });
export type ApiErrorResponse = z.infer<typeof ApiErrorResponse>;

/** The typed answer to every client request. */
export function ackSchema<TData extends z.ZodType>(data: TData) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), data }),
    z.object({ ok: z.literal(false), error: ErrorBody }),
  ]);
}
export type AckResponse<TData> = { ok: true; data: TData } | { ok: false; error: ErrorBody };

/** Turns zod issues into the wire form (paths as strings and numbers, no symbols). */
export function toErrorIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
    message: issue.message,
    code: issue.code,
  }));
}

export function errorBody(code: ErrorCode, message: string, zodError?: z.ZodError): ErrorBody {
  return zodError ? { code, message, issues: toErrorIssues(zodError) } : { code, message };
}
