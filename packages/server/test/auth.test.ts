import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROTOCOL_VERSION } from '@org/contracts';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../src/index.js';
import {
  connectAs,
  connectError,
  Disposer,
  disconnected,
  makeClient,
  nextEvent,
  request,
  SECRET,
  signToken,
  startServer,
  uniqueId,
} from './helpers.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function refusal(url: string, auth: Record<string, unknown>) {
  return connectError(makeClient(disposer, url, auth));
}

describe('handshake authentication', () => {
  const claims = () => ({ userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN' as const] });

  it('refuses a handshake without a token: UNAUTHORIZED / missing_token', async () => {
    const { url, realtime } = await startServer(disposer);
    const { data } = await refusal(url, { protocol: PROTOCOL_VERSION });
    expect(data).toEqual({
      code: 'UNAUTHORIZED',
      reason: 'missing_token',
      retryable: false,
      message: expect.any(String),
    });
    expect(realtime.stats().rejections).toEqual({ UNAUTHORIZED: 1 });
  });

  it('refuses a malformed token: UNAUTHORIZED / malformed_token', async () => {
    const { url } = await startServer(disposer);
    expect((await refusal(url, { token: 'not.a.jwt', protocol: PROTOCOL_VERSION })).data).toMatchObject({
      code: 'UNAUTHORIZED',
      reason: 'malformed_token',
      retryable: false,
    });
    expect((await refusal(url, { token: 42, protocol: PROTOCOL_VERSION })).data).toMatchObject({
      code: 'UNAUTHORIZED',
      reason: 'malformed_token',
    });
  });

  it('refuses a token signed with another secret: UNAUTHORIZED / invalid_signature', async () => {
    const { url } = await startServer(disposer);
    const forged = await signToken(claims(), { secret: 'someone-elses-secret-of-enough-length' });
    expect((await refusal(url, { token: forged, protocol: PROTOCOL_VERSION })).data).toMatchObject({
      code: 'UNAUTHORIZED',
      reason: 'invalid_signature',
      retryable: false,
    });
  });

  it('refuses an unsigned token (alg: none): UNAUTHORIZED / unsupported_algorithm', async () => {
    const { url } = await startServer(disposer);
    const unsigned = new UnsecuredJWT({ tenantId: uniqueId('t'), roles: ['ADMIN'] })
      .setSubject('mallory')
      .setExpirationTime(nowSeconds() + 600)
      .encode();
    expect((await refusal(url, { token: unsigned, protocol: PROTOCOL_VERSION })).data).toMatchObject({
      code: 'UNAUTHORIZED',
      reason: 'unsupported_algorithm',
    });
  });

  it('refuses an expired token: TOKEN_EXPIRED / expired', async () => {
    const { url } = await startServer(disposer);
    const expired = await signToken(claims(), { issuedAt: nowSeconds() - 7200, expiresAt: nowSeconds() - 3600 });
    expect((await refusal(url, { token: expired, protocol: PROTOCOL_VERSION })).data).toEqual({
      code: 'TOKEN_EXPIRED',
      reason: 'expired',
      retryable: false,
      message: expect.any(String),
    });
  });

  it('refuses a token whose claims lack a tenant or roles: UNAUTHORIZED / invalid_claims', async () => {
    const { url } = await startServer(disposer);
    const token = await new SignJWT({ roles: ['NOT_A_ROLE'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ann')
      .setExpirationTime(nowSeconds() + 600)
      .sign(new TextEncoder().encode(SECRET));
    expect((await refusal(url, { token, protocol: PROTOCOL_VERSION })).data).toMatchObject({
      code: 'UNAUTHORIZED',
      reason: 'invalid_claims',
    });
  });

  it('refuses another protocol version: PROTOCOL_MISMATCH', async () => {
    const { url } = await startServer(disposer);
    const token = await signToken(claims());
    expect((await refusal(url, { token, protocol: PROTOCOL_VERSION + 1 })).data).toMatchObject({
      code: 'PROTOCOL_MISMATCH',
      reason: 'protocol_mismatch',
      retryable: false,
    });
    expect((await refusal(url, { token })).data).toMatchObject({ code: 'PROTOCOL_MISMATCH' });
  });

  it('checks issuer and audience when configured', async () => {
    const { url } = await startServer(disposer, {
      verifyToken: createJwtVerifier({ secret: SECRET }, { issuer: 'ops-api', audience: 'dashboard' }),
    });
    const withoutIssuer = await signToken(claims());
    expect((await refusal(url, { token: withoutIssuer, protocol: PROTOCOL_VERSION })).data).toMatchObject({
      code: 'UNAUTHORIZED',
      reason: 'invalid_claims',
    });
  });

  it('accepts RS256 and ES256 tokens whose keys come from a JWKS URL', async () => {
    const rsa = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' },
    ];
    const jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    disposer.add(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    const { url } = await startServer(disposer, { verifyToken: createJwtVerifier({ jwksUrl }) });

    for (const [alg, kid, key] of [
      ['RS256', 'rsa-1', rsa.privateKey],
      ['ES256', 'ec-1', ec.privateKey],
    ] as const) {
      const tenantId = uniqueId('t');
      const token = await new SignJWT({ tenantId, roles: ['RISK_ANALYST'] })
        .setProtectedHeader({ alg, kid })
        .setSubject('rita')
        .setExpirationTime(nowSeconds() + 600)
        .sign(key);
      const socket = makeClient(disposer, url, { token, protocol: PROTOCOL_VERSION });
      const ready = nextEvent(socket, 'session:ready');
      socket.connect();
      expect((await ready).data).toMatchObject({ userId: 'rita', tenantId, roles: ['RISK_ANALYST'] });
    }
    // An HS256 token is not accepted by a JWKS verifier (no algorithm confusion).
    const hs = await signToken({ userId: 'x', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    expect((await refusal(url, { token: hs, protocol: PROTOCOL_VERSION })).data).toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });
});

describe('re-authentication', () => {
  for (const recovery of [false, true]) {
    it(`runs the auth middleware again on every reconnect (connection-state recovery ${recovery ? 'on' : 'off'})`, async () => {
      const { url, realtime } = await startServer(disposer, {
        connectionStateRecovery: recovery ? { maxDisconnectionDurationMs: 60_000 } : false,
      });
      const tenantId = uniqueId('t');
      const who = { userId: 'ann', tenantId, roles: ['ADMIN' as const] };
      const tokens = [
        await signToken(who),
        await signToken(who),
        await signToken(who, { issuedAt: nowSeconds() - 7200, expiresAt: nowSeconds() - 3600 }),
      ];
      const issued: string[] = [];
      const socket = makeClient(
        disposer,
        url,
        {},
        {
          reconnection: true,
          reconnectionDelay: 10,
          reconnectionDelayMax: 20,
          auth: (callback: (auth: object) => void) => {
            const token = tokens.shift() ?? '';
            issued.push(token);
            callback({ token, protocol: PROTOCOL_VERSION });
          },
        },
      );
      const firstReady = nextEvent(socket, 'session:ready');
      socket.connect();
      await firstReady;

      // Drop the transport: the client reconnects with the second (valid) token.
      const secondReady = nextEvent(socket, 'session:ready');
      realtime.io
        .of('/')
        .sockets.get(socket.id ?? '')
        ?.conn.close();
      await secondReady;
      expect(socket.recovered === true).toBe(recovery);
      expect(issued).toHaveLength(2);

      // Drop it again: the third token has expired, and recovery does not skip the check.
      const refused = new Promise<unknown>((resolve) =>
        socket.once('connect_error', (error) => resolve((error as Error & { data: unknown }).data)),
      );
      realtime.io
        .of('/')
        .sockets.get(socket.id ?? '')
        ?.conn.close();
      expect(await refused).toMatchObject({ code: 'TOKEN_EXPIRED', retryable: false });
      expect(issued).toHaveLength(3);
      socket.disconnect();
    });
  }

  it('on recovery, keeps only the module rooms the fresh token still allows', async () => {
    const { url, realtime } = await startServer(disposer, {
      connectionStateRecovery: { maxDisconnectionDurationMs: 60_000 },
    });
    const tenantId = uniqueId('t');
    const tokens = [
      await signToken({ userId: 'ann', tenantId, roles: ['ADMIN'] }),
      await signToken({ userId: 'ann', tenantId, roles: ['SUPPORT_AGENT'] }),
    ];
    const socket = makeClient(
      disposer,
      url,
      {},
      {
        reconnection: true,
        reconnectionDelay: 10,
        reconnectionDelayMax: 20,
        auth: (callback: (auth: object) => void) =>
          callback({ token: tokens.shift() ?? '', protocol: PROTOCOL_VERSION }),
      },
    );
    const ready = nextEvent(socket, 'session:ready');
    socket.connect();
    await ready;
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    await request(socket, 'kpi:subscribe', { module: 'support' });

    const again = nextEvent(socket, 'session:ready');
    realtime.io
      .of('/')
      .sockets.get(socket.id ?? '')
      ?.conn.close();
    expect((await again).data.roles).toEqual(['SUPPORT_AGENT']);
    expect(socket.recovered).toBe(true);
    const rooms = [...(realtime.io.of('/').sockets.get(socket.id ?? '')?.rooms ?? [])];
    expect(rooms).toContain(`tenant:${tenantId}:module:support`);
    expect(rooms).not.toContain(`tenant:${tenantId}:module:risk`);
    expect(rooms).not.toContain(`tenant:${tenantId}:role:ADMIN`);
  });

  it('ends a session whose token expires while connected with session:ended TOKEN_EXPIRED, then disconnects', async () => {
    const { url } = await startServer(disposer);
    const tenantId = uniqueId('t');
    const token = await signToken({ userId: 'ann', tenantId, roles: ['ADMIN'] }, { expiresAt: nowSeconds() + 1 });
    const socket = makeClient(disposer, url, { token, protocol: PROTOCOL_VERSION });
    const ready = nextEvent(socket, 'session:ready');
    const ended = nextEvent(socket, 'session:ended');
    const gone = disconnected(socket);
    socket.connect();
    expect((await ready).data.expiresAt).toBe((nowSeconds() + 1) * 1000);
    expect((await ended).data).toEqual({ code: 'TOKEN_EXPIRED', message: expect.any(String) });
    expect(await gone).toBe('io server disconnect');
  });

  it('a session with a fresh token is not ended', async () => {
    const { url } = await startServer(disposer);
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    expect(await request(socket, 'ping', { clientTime: 1 })).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
  });
});
