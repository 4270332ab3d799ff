import type { Role } from '@org/contracts';
import { SignJWT } from 'jose';
import { JWT_SECRET } from './env.js';

const key = new TextEncoder().encode(JWT_SECRET);

export type Identity = { userId: string; tenantId: string; roles: Role[]; name?: string };

/** A token the API accepts (HS256, issuer and audience `realtime-ops`), for any tenant and role. */
export async function mintToken(
  who: Identity,
  options: { ttlSeconds?: number; secret?: Uint8Array; expiredAgoSeconds?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ tenantId: who.tenantId, roles: who.roles, name: who.name ?? who.userId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(who.userId)
    .setIssuer('realtime-ops')
    .setAudience('realtime-ops');
  if (options.expiredAgoSeconds !== undefined) {
    jwt.setIssuedAt(now - options.expiredAgoSeconds - 60).setExpirationTime(now - options.expiredAgoSeconds);
  } else {
    jwt.setIssuedAt(now).setExpirationTime(now + (options.ttlSeconds ?? 3600));
  }
  return jwt.sign(options.secret ?? key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`) with otherwise valid claims. */
export function unsignedToken(who: Identity): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
    sub: who.userId,
    tenantId: who.tenantId,
    roles: who.roles,
    iss: 'realtime-ops',
    aud: 'realtime-ops',
    iat: now,
    exp: now + 3600,
  })}.`;
}

/** A valid token whose payload was edited afterwards (signature no longer matches). */
export async function tamperedToken(who: Identity, tenantId: string): Promise<string> {
  const [header, , signature] = (await mintToken(who)).split('.');
  const now = Math.floor(Date.now() / 1000);
  const payload = b64({
    sub: who.userId,
    tenantId,
    roles: ['ADMIN'],
    iss: 'realtime-ops',
    aud: 'realtime-ops',
    iat: now,
    exp: now + 3600,
  });
  return `${header}.${payload}.${signature}`;
}
