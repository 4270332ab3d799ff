import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Envelope, KpiSnapshot, KpiUpdate, SessionReady } from '@org/contracts';
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { realtimeKeys } from '../src/core/queryKeys.js';
import { RealtimeClient, type StaleReason } from '../src/core/realtimeClient.js';

// A bare Socket.IO server that emits contract envelopes by hand, to produce what a well-behaved
// server never does on purpose: sequence gaps, duplicates and invalid payloads.

const STREAM = 'kpi@tenant:acme:module:risk';
const WAIT = { timeout: 10_000, interval: 10 };

const session: SessionReady = {
  protocolVersion: 1,
  serverTime: Date.now(),
  userId: 'alice',
  tenantId: 'acme',
  roles: ['RISK_ANALYST'],
  modules: ['risk'],
  expiresAt: null,
};

const update = (seq: number, value: number, id = `e${seq}`): Envelope<KpiUpdate> => ({
  id,
  stream: STREAM,
  seq,
  ts: Date.now(),
  data: {
    tenantId: 'acme',
    module: 'risk',
    kpis: [
      {
        key: 'exposure',
        module: 'risk',
        label: 'Exposure',
        value,
        unit: 'count',
        change: null,
        updatedAt: new Date().toISOString(),
      },
    ],
  },
});

describe('ordering and validation', () => {
  const disposers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const dispose of disposers.splice(0).reverse()) await dispose();
  });

  it('ignores duplicates, flags gaps for refetch, and drops envelopes that break the contract', async () => {
    const http = createServer();
    const io = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    disposers.push(async () => {
      io.disconnectSockets(true);
      io.engine.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    io.on('connection', (socket) => {
      socket.emit('session:ready', { id: 's1', stream: 'session', seq: 0, ts: Date.now(), data: session });
    });

    let fetches = 0;
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const client = new RealtimeClient({
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      getToken: () => 'token',
      queryClient,
      environment: null,
    });
    const observer = new QueryObserver(queryClient, {
      queryKey: realtimeKeys.kpis.module('risk'),
      queryFn: async (): Promise<KpiSnapshot> => {
        fetches += 1;
        return {
          tenantId: 'acme',
          module: 'risk',
          kpis: [],
          position: { stream: STREAM, seq: 0 },
          asOf: new Date().toISOString(),
        };
      },
    });
    const stopObserving = observer.subscribe(() => undefined);
    disposers.push(() => {
      stopObserving();
      client.disconnect();
      queryClient.clear();
    });
    const stale: Array<[string, StaleReason]> = [];
    const invalid: string[] = [];
    const applied: number[] = [];
    client.onStale((stream, reason) => stale.push([stream, reason]));
    client.onInvalid((stream) => invalid.push(stream ?? '?'));
    client.on('kpi:update', (_data, message) => applied.push(message.envelope.seq));
    client.connect();
    await vi.waitFor(() => expect(client.getState().status).toBe('live'), WAIT);
    await vi.waitFor(() => expect(fetches).toBe(1), WAIT);

    const [socket] = io.of('/').sockets.values();
    if (!socket) throw new Error('no socket');
    socket.emit('kpi:update', update(1, 10));
    socket.emit('kpi:update', update(2, 20));
    socket.emit('kpi:update', update(2, 20)); // replayed twice
    socket.emit('kpi:update', update(1, 99, 'older')); // older than the cursor
    socket.emit('kpi:update', { ...update(3, 30), data: { module: 'risk' } }); // breaks the contract
    socket.emit('kpi:update', update(5, 50)); // 3 and 4 never arrive: a gap
    await vi.waitFor(() => expect(applied).toEqual([1, 2, 5]), WAIT);
    expect(invalid).toEqual([STREAM]);
    expect(stale).toEqual([[STREAM, 'gap']]);
    // The gap invalidated the snapshot, which refetched.
    await vi.waitFor(() => expect(fetches).toBe(2), WAIT);
    expect(client.cursors()[STREAM]).toBe(5);
  });
});
