import { ConnectErrorData, PROTOCOL_VERSION } from '@org/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectAs,
  connectError,
  Disposer,
  disconnected,
  makeClient,
  nextEvent,
  rawRequest,
  request,
  signToken,
  startServer,
  uniqueId,
} from './helpers.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

describe('payload size cap', () => {
  it('closes a connection that sends a packet over maxPayloadBytes; the server and other sockets carry on', async () => {
    const { url, realtime } = await startServer(disposer, { limits: { maxPayloadBytes: 4 * 1024 } });
    const tenantId = uniqueId('t');
    const bystander = await connectAs(disposer, url, { userId: 'bea', tenantId, roles: ['ADMIN'] });
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['ADMIN'] });

    // Under the cap: it reaches the pipeline and gets a typed answer.
    expect(await rawRequest(socket, 'notification:markRead', { id: 'x'.repeat(2_000) })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PAYLOAD' },
    });
    const gone = disconnected(socket);
    socket.emit('notification:markRead', { id: 'x'.repeat(8 * 1024) }, () => undefined);
    expect(await gone).toMatch(/transport (close|error)/);
    expect(await request(bystander.socket, 'ping', { clientTime: 1 })).toMatchObject({ ok: true });
    expect(realtime.stats().rejections.PAYLOAD_TOO_LARGE).toBe(1);
  });

  it('caps packets at 16 KiB by default, far below the 1 MB Socket.IO default', async () => {
    const { url } = await startServer(disposer);
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    const gone = disconnected(socket);
    socket.emit('ping', { clientTime: 1, padding: 'x'.repeat(20 * 1024) } as never, () => undefined);
    expect(await gone).toMatch(/transport (close|error)/);
  });
});

describe('rate limiting', () => {
  it('answers requests over the per-socket budget with RATE_LIMITED and keeps the socket', async () => {
    const { url } = await startServer(disposer, { limits: { eventsPerSecond: 3, burst: 2, maxViolations: 100 } });
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    const acks = await Promise.all(
      Array.from({ length: 12 }, (_, index) => request(socket, 'ping', { clientTime: index })),
    );
    const codes = acks.map((ack) => (ack.ok ? 'ok' : ack.error.code));
    // 3 per second plus a burst of 2: the first five pass, the rest of the same batch is refused.
    expect(codes.slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(codes[5]).toBe('RATE_LIMITED');
    expect(codes.filter((code) => code !== 'ok' && code !== 'RATE_LIMITED')).toEqual([]);
    expect(socket.connected).toBe(true);
  });

  it('rate-limits unknown events too, so a flood of garbage costs the flooder', async () => {
    const { url, realtime } = await startServer(disposer, {
      limits: { eventsPerSecond: 1, burst: 1, maxViolations: 100 },
    });
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    const acks = await Promise.all(Array.from({ length: 5 }, () => rawRequest(socket, 'nope', {})));
    expect(acks.map((ack) => (ack.ok ? 'ok' : ack.error.code))).toEqual([
      'UNKNOWN_EVENT',
      'UNKNOWN_EVENT',
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    expect(realtime.stats().rejections).toMatchObject({ UNKNOWN_EVENT: 2, RATE_LIMITED: 3 });
  });

  it('ends the session of a socket that keeps flooding: session:ended RATE_LIMITED, then disconnect', async () => {
    const { url } = await startServer(disposer, { limits: { eventsPerSecond: 1, burst: 1, maxViolations: 3 } });
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    const ended = nextEvent(socket, 'session:ended');
    const gone = disconnected(socket);
    for (let index = 0; index < 10; index += 1) socket.emit('ping', { clientTime: index }, () => undefined);
    expect((await ended).data).toEqual({ code: 'RATE_LIMITED', message: expect.any(String) });
    expect(await gone).toBe('io server disconnect');
  });

  it('ends a flooding socket as soon as it has more requests in flight than it could be allowed, reading no further', async () => {
    // At most 1 + 1 + 100 requests may be in flight at once; 2,000 arrive together.
    const { url, realtime } = await startServer(disposer, {
      limits: { eventsPerSecond: 1, burst: 1, maxViolations: 100 },
    });
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    const ended = nextEvent(socket, 'session:ended');
    const gone = disconnected(socket);
    for (let index = 0; index < 2_000; index += 1) socket.emit('ping', { clientTime: index }, () => undefined);
    expect((await ended).data).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await gone).toBe('io server disconnect');
    // Without the in-flight cap, every packet already received would be parsed, limited and answered.
    const limited = realtime.stats().rejections.RATE_LIMITED ?? 0;
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThan(200);
  });

  it('limits connection attempts per IP with a retryable RATE_LIMITED refusal', async () => {
    const { url } = await startServer(disposer, { limits: { connectionsPerMinutePerIp: 2 } });
    const tenantId = uniqueId('t');
    await connectAs(disposer, url, { userId: 'a', tenantId, roles: ['ADMIN'] });
    await connectAs(disposer, url, { userId: 'b', tenantId, roles: ['ADMIN'] });
    const token = await signToken({ userId: 'c', tenantId, roles: ['ADMIN'] });
    const { data } = await connectError(makeClient(disposer, url, { token, protocol: PROTOCOL_VERSION }));
    expect(data).toMatchObject({ code: 'RATE_LIMITED', retryable: true, reason: 'too_many_connections' });
  });
});

describe('origins (CORS)', () => {
  const allowed = 'https://ops.example.com';

  it('refuses a WebSocket handshake from an origin outside the allowlist with a typed error, and accepts a listed one', async () => {
    const { url, realtime } = await startServer(disposer, { cors: { origins: [allowed] } });
    const tenantId = uniqueId('t');
    const token = await signToken({ userId: 'ann', tenantId, roles: ['ADMIN'] });
    const evil = makeClient(
      disposer,
      url,
      { token, protocol: PROTOCOL_VERSION },
      { extraHeaders: { origin: 'https://evil.example' } },
    );
    const { data } = await connectError(evil);
    // Typed, so a client can say why instead of retrying a "websocket error" forever.
    expect(data).toMatchObject({ code: 'FORBIDDEN', retryable: false, reason: 'origin_not_allowed' });
    expect(ConnectErrorData.safeParse(data).success).toBe(true);
    expect(realtime.stats().rejections).toEqual({ FORBIDDEN: 1 });

    const { ready } = await connectAs(
      disposer,
      url,
      { userId: 'ann', tenantId, roles: ['ADMIN'] },
      { extraHeaders: { origin: allowed } },
    );
    expect(ready.data.userId).toBe('ann');
  });

  it('answers long-polling requests with CORS headers for listed origins only', async () => {
    const { url } = await startServer(disposer, { cors: { origins: [allowed] } });
    const good = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: allowed } });
    expect(good.status).toBe(200);
    expect(good.headers.get('access-control-allow-origin')).toBe(allowed);
    await good.text();
    const bad = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(bad.status).toBe(403);
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
    await bad.text();
  });
});
