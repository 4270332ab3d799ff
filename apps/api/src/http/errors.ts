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

/** A 4xx that Express or its body parser already decided (e.g. a malformed percent-escape). */
const clientStatus = (error: unknown): number | undefined => {
  const status =
    (error as { status?: unknown; statusCode?: unknown } | null)?.status ??
    (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
};

function clientErrorBody(status: number): ErrorBody {
  if (status === 404) return { code: 'NOT_FOUND', message: 'not found' };
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE', message: 'request too large' };
  return { code: 'INVALID_PAYLOAD', message: 'malformed request' };
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
    else if (clientStatus(error) !== undefined) body = clientErrorBody(clientStatus(error) as number);
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
