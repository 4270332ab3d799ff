import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ConnectionState, RealtimeClient } from '../src/core/realtimeClient.js';

/** A port nothing listens on: connections are refused at once by the OS. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

function next(client: RealtimeClient, predicate: (state: ConnectionState) => boolean): Promise<ConnectionState> {
  return new Promise((resolve) => {
    const unsubscribe = client.subscribe(() => {
      if (!predicate(client.getState())) return;
      unsubscribe();
      resolve(client.getState());
    });
  });
}

describe('reconnect backoff (fake timers)', () => {
  let client: RealtimeClient | undefined;
  afterEach(() => {
    client?.disconnect();
    vi.useRealTimers();
  });

  it('waits an exponentially growing, jittered, bounded delay between attempts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const tokens: boolean[] = [];
    client = new RealtimeClient({
      url: `http://127.0.0.1:${await closedPort()}`,
      getToken: ({ forceRefresh }) => {
        tokens.push(forceRefresh);
        return 'token';
      },
      environment: null,
      backoff: { baseMs: 100, maxMs: 400 },
      random: () => 0.5,
    });
    const delays: number[] = [];
    let state = next(client, (current) => current.attempt === 1);
    client.connect();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const scheduled = await state;
      expect(scheduled.status).toBe('polling');
      expect(scheduled.attempt).toBe(attempt);
      const delay = (scheduled.nextRetryAt ?? 0) - Date.now();
      delays.push(delay);
      state = next(client, (current) => current.attempt === attempt + 1);
      // Nothing happens before the delay is over...
      vi.advanceTimersByTime(Math.max(0, delay - 1));
      expect(client.getState().attempt).toBe(attempt);
      // ...and the next attempt starts when it is.
      vi.advanceTimersByTime(1);
    }
    await state;
    // Half of min(400, 100 * 2^n): the ceiling doubles, then stays at the bound.
    expect(delays).toEqual([50, 100, 200, 200, 200]);
    // A fresh token for every attempt, never a forced refresh for a network failure.
    expect(tokens).toEqual([false, false, false, false, false, false]);
  });

  it('does not reconnect after disconnect()', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    client = new RealtimeClient({
      url: `http://127.0.0.1:${await closedPort()}`,
      getToken: () => 'token',
      environment: null,
      backoff: { baseMs: 100, maxMs: 400 },
    });
    const scheduled = next(client, (current) => current.attempt === 1);
    client.connect();
    await scheduled;
    client.disconnect();
    expect(client.getState()).toMatchObject({ status: 'offline', nextRetryAt: null });
    vi.advanceTimersByTime(10_000);
    expect(client.getState().attempt).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('connection refusals (a bare Socket.IO server refusing in its middleware)', () => {
  let client: RealtimeClient | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    client?.disconnect();
    await close?.();
  });

  async function refusingServer(code: string, retryable: boolean) {
    const { createServer: createHttpServer } = await import('node:http');
    const { Server } = await import('socket.io');
    const http = createHttpServer();
    const io = new Server(http);
    let attempts = 0;
    io.use((_socket, next) => {
      attempts += 1;
      next(Object.assign(new Error('refused'), { data: { code, message: `refused: ${code}`, retryable } }));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    if (typeof address !== 'object' || !address) throw new Error('no port');
    close = async () => {
      io.disconnectSockets(true);
      io.engine.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    };
    return { url: `http://127.0.0.1:${address.port}`, attempts: () => attempts };
  }

  it('stops retrying on PROTOCOL_MISMATCH and keeps the queries polling', async () => {
    const server = await refusingServer('PROTOCOL_MISMATCH', false);
    client = new RealtimeClient({
      url: server.url,
      getToken: () => 'token',
      environment: null,
      backoff: { baseMs: 1 },
    });
    const refused = next(client, (state) => state.error?.code === 'PROTOCOL_MISMATCH');
    client.connect();
    const state = await refused;
    expect(state).toMatchObject({ status: 'polling', nextRetryAt: null });
    client.reconnectNow();
    expect(server.attempts()).toBe(1);
  });

  it('backs off on RATE_LIMITED and keeps trying', async () => {
    const server = await refusingServer('RATE_LIMITED', true);
    client = new RealtimeClient({
      url: server.url,
      getToken: () => 'token',
      environment: null,
      backoff: { baseMs: 5, maxMs: 20 },
    });
    const third = next(client, (state) => state.attempt === 3);
    client.connect();
    const state = await third;
    expect(state).toMatchObject({ status: 'polling', error: { code: 'RATE_LIMITED' } });
    expect(server.attempts()).toBeGreaterThanOrEqual(3);
  });
});

describe('a refused origin (the real realtime server, with an origin allowlist)', () => {
  let client: RealtimeClient | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    client?.disconnect();
    await close?.();
  });

  it('stops retrying and says why, instead of reconnecting after a bare "websocket error"', async () => {
    const { createServer: createHttpServer } = await import('node:http');
    const { createJwtVerifier, createRealtimeServer } = await import('@org/realtime-server');
    const { silentLogger } = await import('./support/harness.js');
    const http = createHttpServer();
    const realtime = createRealtimeServer({
      httpServer: http,
      verifyToken: createJwtVerifier({ secret: 'origin-test-secret-origin-test-secret-0123' }),
      cors: { origins: ['https://ops.example.com'] },
      logger: silentLogger,
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    close = async () => {
      await realtime.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    };
    const address = http.address();
    if (typeof address !== 'object' || !address) throw new Error('no port');
    client = new RealtimeClient({
      url: `http://127.0.0.1:${address.port}`,
      getToken: () => 'token',
      environment: null,
      backoff: { baseMs: 1, maxMs: 5 },
      // A page served from an origin the server does not list (Node's client sets the header itself).
      socketOptions: { extraHeaders: { origin: 'https://evil.example' } } as never,
    });
    const refused = next(client, (state) => state.error?.code === 'FORBIDDEN');
    client.connect();
    const state = await refused;
    expect(state).toMatchObject({ status: 'polling', nextRetryAt: null });
    expect(state.error?.message).toContain('https://evil.example');
    client.reconnectNow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(realtime.stats().rejections).toEqual({ FORBIDDEN: 1 });
  });
});
