import { type ErrorBody, type ErrorCode, errorBody } from '@org/contracts';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';

const statusByCode: Record<ErrorCode, number> = {
  INVALID_PAYLOAD: 400,
  UNKNOWN_EVENT: 400,
  PROTOCOL_MISMATCH: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

/** An error with a contract code; anything that carries `code` from the enum maps the same way. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly body: ErrorBody = { code, message },
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError('NOT_FOUND', `${what} not found`);

/** Parses untrusted input; a failure is a 400 with the zod issues. */
export function parseInput<TSchema extends z.ZodType>(
  schema: TSchema,
  value: unknown,
  what: string,
): z.output<TSchema> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ApiError(
      'INVALID_PAYLOAD',
      `invalid ${what}`,
      errorBody('INVALID_PAYLOAD', `invalid ${what}`, result.error),
    );
  }
  return result.data;
}

const codeOf = (error: unknown): ErrorCode | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in statusByCode ? (code as ErrorCode) : undefined;
};

/** Turns every error into `{ error: { code, message, issues? } }` with the matching status. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    let body: ErrorBody;
    const bodyParserType = (error as { type?: string }).type;
    if (error instanceof ApiError) body = error.body;
    else if (bodyParserType === 'entity.too.large')
      body = { code: 'PAYLOAD_TOO_LARGE', message: 'request body too large' };
    else if (bodyParserType === 'entity.parse.failed') body = { code: 'INVALID_PAYLOAD', message: 'malformed JSON' };
    else if (error instanceof z.ZodError) body = errorBody('INVALID_PAYLOAD', 'invalid input', error);
    else {
      const code = codeOf(error);
      body = code
        ? { code, message: error instanceof Error ? error.message : code }
        : { code: 'INTERNAL', message: 'internal error' };
    }
    const status = statusByCode[body.code];
    if (status >= 500) logger.error({ err: error, code: body.code }, 'request failed');
    res.status(status).json({ error: body });
  };
}
