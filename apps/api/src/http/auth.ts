import { timingSafeEqual } from 'node:crypto';
import type { Principal } from '@org/contracts';
import type { Request, RequestHandler } from 'express';
import { errors as joseErrors } from 'jose';
import type { TokenIssuer } from '../auth/tokens.js';
import { ApiError } from './errors.js';

declare global {
  namespace Express {
    interface Request {
      /** Set by `requireUser`. */
      principal?: Principal & { expiresAt: number };
    }
  }
}

/** Requires `Authorization: Bearer <token>`; sets `req.principal`. */
export function requireUser(tokens: TokenIssuer): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/i.exec(header);
    if (!match?.[1]) return next(new ApiError('UNAUTHORIZED', 'missing bearer token'));
    try {
      req.principal = await tokens.verify(match[1]);
      next();
    } catch (error) {
      next(
        error instanceof joseErrors.JWTExpired
          ? new ApiError('TOKEN_EXPIRED', 'token expired')
          : new ApiError('UNAUTHORIZED', 'invalid token'),
      );
    }
  };
}

export function principalOf(req: Request): Principal & { expiresAt: number } {
  if (!req.principal) throw new ApiError('UNAUTHORIZED', 'not signed in');
  return req.principal;
}

export function requireRole(role: Principal['roles'][number]): RequestHandler {
  return (req, _res, next) => {
    next(principalOf(req).roles.includes(role) ? undefined : new ApiError('FORBIDDEN', `requires role ${role}`));
  };
}

/** Other services publish with `X-Service-Key`; compared in constant time. */
export function requireServiceKey(serviceKey: string): RequestHandler {
  const expected = Buffer.from(serviceKey);
  return (req, _res, next) => {
    const given = Buffer.from(String(req.headers['x-service-key'] ?? ''));
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    next(ok ? undefined : new ApiError('UNAUTHORIZED', 'missing or wrong service key'));
  };
}
