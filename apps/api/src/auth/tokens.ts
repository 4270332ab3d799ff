import { type Principal, Role } from '@org/contracts';
import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';

export const TOKEN_ISSUER = 'realtime-ops';
export const TOKEN_AUDIENCE = 'realtime-ops';

/** The claims our access tokens carry: `sub` user, `tenantId`, `roles`, `name` (what the realtime server reads). */
export const AccessClaims = z.object({
  sub: z.string(),
  tenantId: z.string(),
  roles: z.array(Role).min(1),
  name: z.string().optional(),
  exp: z.number(),
});

export type TokenIssuer = {
  issue(principal: Principal): Promise<{ accessToken: string; expiresAt: number }>;
  /** Verifies one of our tokens (REST requests); throws on anything invalid or expired. */
  verify(token: string): Promise<Principal & { expiresAt: number }>;
};

export function createTokenIssuer(secret: string, ttlSeconds: number): TokenIssuer {
  const key = new TextEncoder().encode(secret);
  return {
    async issue(principal) {
      const expiresAt = Date.now() + ttlSeconds * 1000;
      const accessToken = await new SignJWT({
        tenantId: principal.tenantId,
        roles: principal.roles,
        name: principal.name,
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(principal.userId)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt / 1000))
        .sign(key);
      return { accessToken, expiresAt: Math.floor(expiresAt / 1000) * 1000 };
    },
    async verify(token) {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
      });
      const claims = AccessClaims.parse(payload);
      return {
        userId: claims.sub,
        tenantId: claims.tenantId,
        roles: claims.roles,
        ...(claims.name !== undefined && { name: claims.name }),
        expiresAt: claims.exp * 1000,
      };
    },
  };
}
