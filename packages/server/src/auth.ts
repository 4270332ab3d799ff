import {
  type ConnectErrorData,
  type ConnectRefusalReason,
  HandshakeAuth,
  PROTOCOL_VERSION,
  Principal,
  type Role,
} from '@org/contracts';
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { RealtimeError } from './errors.js';

/** Who a verified token says the socket is, and when that token stops being valid. */
export type VerifiedSession = Principal & {
  /** When the token expires (epoch ms); null when it carries no `exp`. */
  expiresAt: number | null;
};

/**
 * Turns a bearer token into a session. Rejects with `RealtimeError('UNAUTHORIZED' | 'TOKEN_EXPIRED')`;
 * any other rejection is treated as `UNAUTHORIZED`.
 */
export type VerifyToken = (token: string) => Promise<VerifiedSession>;

/** Where the verification keys come from: a shared HS256 secret, or a JWKS URL (RS256 / ES256 ...). */
export type JwtKeySource = { secret: string } | { jwksUrl: string };

/** Registered claims every token must carry, when set. */
export type JwtClaimChecks = { issuer?: string; audience?: string };

/**
 * Stable reasons a connection is refused, sent as `connect_error.data.reason` next to the
 * contract's `code`. Clients act on `code`; `reason` tells operators (and tests) exactly why.
 */
export type AuthFailureReason = ConnectRefusalReason;

const HS_ALGORITHMS = ['HS256'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'];

/**
 * Token claims: `sub` is the user id; `tenantId`, `roles` (array) and optional `name` are
 * private claims. `exp` is honoured (and becomes `expiresAt`).
 */
function principalFromClaims(payload: JWTPayload): Principal {
  const parsed = Principal.safeParse({
    userId: payload.sub,
    tenantId: payload.tenantId,
    roles: payload.roles,
    name: payload.name,
  });
  if (!parsed.success) {
    throw new RealtimeError('UNAUTHORIZED', 'The token does not carry a valid user, tenant and roles', {
      reason: 'invalid_claims',
    });
  }
  return parsed.data;
}

/**
 * Role lists are combinations of a small enum: sessions share one frozen array per combination
 * instead of holding a copy each (bounded: cleared if it ever grows past MAX_SHARED_ROLE_LISTS).
 */
const MAX_SHARED_ROLE_LISTS = 1_024;
const sharedRoleLists = new Map<string, Role[]>();

function sharedRoles(roles: readonly Role[]): Role[] {
  const key = roles.join(',');
  let shared = sharedRoleLists.get(key);
  if (!shared) {
    if (sharedRoleLists.size >= MAX_SHARED_ROLE_LISTS) sharedRoleLists.clear();
    shared = Object.freeze([...roles]) as Role[];
    sharedRoleLists.set(key, shared);
  }
  return shared;
}

/**
 * The session kept on every socket for its life. Built as one object literal, always the same keys
 * in the same order, so that every session shares one hidden class: spreading zod's output into a
 * new object gave each session its own (~240 B per connection in heap snapshots).
 */
function toSession(principal: Principal, exp: number | undefined): VerifiedSession {
  return {
    userId: principal.userId,
    tenantId: principal.tenantId,
    roles: sharedRoles(principal.roles),
    name: principal.name,
    expiresAt: exp === undefined ? null : exp * 1000,
  };
}

function toAuthError(error: unknown): RealtimeError {
  if (error instanceof RealtimeError) return error;
  if (error instanceof joseErrors.JWTExpired) {
    return new RealtimeError('TOKEN_EXPIRED', 'The token has expired; sign in again', { reason: 'expired' });
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new RealtimeError('UNAUTHORIZED', 'The token signature is invalid', { reason: 'invalid_signature' });
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return new RealtimeError('UNAUTHORIZED', 'The token uses an algorithm this server does not accept', {
      reason: 'unsupported_algorithm',
    });
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new RealtimeError('UNAUTHORIZED', 'The token claims are not valid for this server', {
      reason: 'invalid_claims',
    });
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return new RealtimeError('UNAUTHORIZED', 'The token signature is invalid', { reason: 'invalid_signature' });
  }
  return new RealtimeError('UNAUTHORIZED', 'The token is malformed', { reason: 'malformed_token' });
}

/**
 * A `VerifyToken` backed by `jose`: HS256 with a shared secret, or asymmetric keys from a JWKS URL.
 * `alg: none` and algorithms outside the allowed list are refused.
 */
export function createJwtVerifier(keys: JwtKeySource, claims: JwtClaimChecks = {}): VerifyToken {
  const options = {
    ...(claims.issuer === undefined ? {} : { issuer: claims.issuer }),
    ...(claims.audience === undefined ? {} : { audience: claims.audience }),
  };
  if ('secret' in keys) {
    const secret = new TextEncoder().encode(keys.secret);
    // Imported once: given raw bytes, jose imports the key on every verification (~3x slower).
    const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    key.catch(() => undefined); // a bad secret fails each verification, never as an unhandled rejection
    return async (token) => {
      try {
        const { payload } = await jwtVerify(token, await key, { ...options, algorithms: HS_ALGORITHMS });
        return toSession(principalFromClaims(payload), payload.exp);
      } catch (error) {
        throw toAuthError(error);
      }
    };
  }
  const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(keys.jwksUrl));
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, jwks, { ...options, algorithms: ASYMMETRIC_ALGORITHMS });
      return toSession(principalFromClaims(payload), payload.exp);
    } catch (error) {
      throw toAuthError(error);
    }
  };
}

/** `connect_error.data`: the contract's shape plus the stable `reason`. */
export type ConnectRefusal = ConnectErrorData & { reason: ConnectRefusalReason };

/** An `Error` carrying `data`, which Socket.IO forwards to the client's `connect_error`. */
export class ConnectRefusedError extends Error {
  readonly data: ConnectRefusal;
  constructor(data: ConnectRefusal) {
    super(data.message);
    this.name = 'ConnectRefusedError';
    this.data = data;
  }
}

/** What is left of a handshake's `auth` without its `token` when it only said which protocol it speaks. */
const PROTOCOL_ONLY: Readonly<Record<string, unknown>> = Object.freeze({ protocol: PROTOCOL_VERSION });

/**
 * The handshake's `auth` without the bearer token, which has done its job once verified (a reconnect
 * sends a fresh one). The usual `{ token, protocol }` leaves one object shared by every socket.
 */
export function withoutToken(auth: unknown): Record<string, unknown> {
  const { token: _token, ...rest } = (typeof auth === 'object' && auth !== null ? auth : {}) as Record<string, unknown>;
  const keys = Object.keys(rest);
  return keys.length === 1 && keys[0] === 'protocol' && rest.protocol === PROTOCOL_VERSION ? PROTOCOL_ONLY : rest;
}

export type AuthOutcome = { ok: true; session: VerifiedSession } | { ok: false; refusal: ConnectRefusal };

/** Checks the handshake's `auth` (protocol first, then the token). Never throws. */
export async function authenticateHandshake(
  auth: unknown,
  verifyToken: VerifyToken,
  now: number = Date.now(),
): Promise<AuthOutcome> {
  const record = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>) : {};
  if (record.protocol !== PROTOCOL_VERSION) {
    return {
      ok: false,
      refusal: {
        code: 'PROTOCOL_MISMATCH',
        message: `This server speaks protocol ${PROTOCOL_VERSION}; got ${JSON.stringify(record.protocol ?? null)}`,
        retryable: false,
        reason: 'protocol_mismatch',
      },
    };
  }
  if (record.token === undefined || record.token === null || record.token === '') {
    return {
      ok: false,
      refusal: {
        code: 'UNAUTHORIZED',
        message: 'No token in the handshake',
        retryable: false,
        reason: 'missing_token',
      },
    };
  }
  const parsed = HandshakeAuth.safeParse(auth);
  if (!parsed.success) {
    return {
      ok: false,
      refusal: { code: 'UNAUTHORIZED', message: 'The token is malformed', retryable: false, reason: 'malformed_token' },
    };
  }
  try {
    const session = await verifyToken(parsed.data.token);
    if (session.expiresAt !== null && session.expiresAt <= now) {
      throw new RealtimeError('TOKEN_EXPIRED', 'The token has expired; sign in again', { reason: 'expired' });
    }
    return { ok: true, session };
  } catch (error) {
    const authError = toAuthError(error);
    const code = authError.code === 'TOKEN_EXPIRED' ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED';
    const reason = (authError.reason ??
      (code === 'TOKEN_EXPIRED' ? 'expired' : 'malformed_token')) as AuthFailureReason;
    return { ok: false, refusal: { code, message: authError.message, retryable: false, reason } };
  }
}
