import type { KpiSnapshot, NotificationsPage } from '@org/contracts';
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NotificationsData } from '../src/core/cacheUpdates.js';
import { RealtimeRequestError } from '../src/core/errors.js';
import { realtimeKeys } from '../src/core/queryKeys.js';
import { kpisQuery } from '../src/core/queryOptions.js';
import {
  type ConnectionState,
  RealtimeClient,
  type RealtimeClientOptions,
  type RealtimeMessage,
} from '../src/core/realtimeClient.js';
import { type Harness, startHarness } from './support/harness.js';

const WAIT = { timeout: 10_000, interval: 10 };

function until(client: RealtimeClient, predicate: (state: ConnectionState) => boolean): Promise<ConnectionState> {
  return new Promise((resolve) => {
    if (predicate(client.getState())) return resolve(client.getState());
    const unsubscribe = client.subscribe(() => {
      if (!predicate(client.getState())) return;
      unsubscribe();
      resolve(client.getState());
    });
  });
}

describe('RealtimeClient against @org/realtime-server', () => {
  let harness: Harness;
  let queryClient: QueryClient;
  const clients: RealtimeClient[] = [];

  const makeClient = (options: Partial<RealtimeClientOptions> = {}) => {
    const client = new RealtimeClient({
      url: harness.socketUrl,
      apiUrl: harness.restUrl,
      getToken: () => harness.signToken(),
      queryClient,
      environment: null,
      backoff: { baseMs: 20, maxMs: 200 },
      ...options,
    });
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    harness = await startHarness();
    queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    queryClient.clear();
    await harness.close();
  });

  it('goes live with the session, then measures latency and the clock offset with pings', async () => {
    const client = makeClient();
    expect(client.getState().status).toBe('connecting');
    client.connect();
    const live = await until(client, (state) => state.status === 'live');
    expect(live.session).toMatchObject({ userId: 'alice', tenantId: 'acme', roles: ['RISK_ANALYST'] });
    expect(live.lastConnectedAt).not.toBeNull();
    const measured = await until(client, (state) => state.latencyMs !== null);
    expect(measured.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(measured.clockOffsetMs)).toBe(true);
  });

  it('writes live KPI updates into the cached snapshot, with delivery latency on every message', async () => {
    harness.updateKpis('risk', { exposure: 1 });
    const client = makeClient();
    const messages: RealtimeMessage[] = [];
    client.onMessage((message) => messages.push(message));
    client.subscribeKpis('risk');
    client.connect();
    await until(client, (state) => state.status === 'live');
    await queryClient.fetchQuery(kpisQuery(client, 'risk'));
    await vi.waitFor(
      () => expect(harness.realtime.io.of('/').adapter.rooms.get('tenant:acme:module:risk')?.size).toBe(1),
      WAIT,
    );

    harness.updateKpis('risk', { exposure: 2, default_rate: 0.1 });
    await vi.waitFor(() => {
      const snapshot = queryClient.getQueryData<KpiSnapshot>(realtimeKeys.kpis.module('risk'));
      expect(snapshot?.kpis.map((kpi) => [kpi.key, kpi.value, kpi.history])).toEqual([
        ['exposure', 2, [1, 2]],
        ['default_rate', 0.1, [0.1]],
      ]);
    }, WAIT);
    const update = messages.find((message) => message.event === 'kpi:update');
    expect(update?.envelope.stream).toBe('kpi@tenant:acme:module:risk');
    expect(update?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('shares one server subscription between callers and releases it with the last', async () => {
    const client = makeClient();
    client.connect();
    await until(client, (state) => state.status === 'live');
    const seen: string[] = [];
    for (const socket of harness.realtime.io.of('/').sockets.values())
      socket.onAny((event: string) => seen.push(event));

    const room = () => harness.realtime.io.of('/').adapter.rooms.get('tenant:acme:module:risk')?.size ?? 0;
    const releaseA = client.subscribeKpis('risk');
    const releaseB = client.subscribeKpis('risk');
    await vi.waitFor(() => expect(room()).toBe(1), WAIT);
    expect(client.kpiSubscribers('risk')).toBe(2);
    releaseA();
    releaseA();
    expect(client.kpiSubscribers('risk')).toBe(1);
    releaseB();
    await vi.waitFor(() => expect(room()).toBe(0), WAIT);
    expect(seen.filter((event) => event === 'kpi:subscribe')).toHaveLength(1);
    expect(seen.filter((event) => event === 'kpi:unsubscribe')).toHaveLength(1);
  });

  it('types request errors with the contract code', async () => {
    const client = makeClient();
    client.connect();
    await until(client, (state) => state.status === 'live');
    const error = await client.request('kpi:subscribe', { module: 'support' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RealtimeRequestError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', request: 'kpi:subscribe' });
    await expect(client.request('ping', { clientTime: Date.now() })).resolves.toMatchObject({
      serverTime: expect.any(Number),
    });
  });

  it('replays what it missed during a short disconnect, exactly once', async () => {
    const client = makeClient();
    const ids: string[] = [];
    client.on('notification:new', (notification) => ids.push(notification.id));
    client.subscribeNotifications();
    client.connect();
    await until(client, (state) => state.status === 'live');
    await queryClient.fetchInfiniteQuery({
      queryKey: realtimeKeys.notifications.list(20),
      queryFn: ({ pageParam }) => client.api.notifications({ cursor: pageParam, limit: 20 }),
      initialPageParam: null as string | null,
    });
    const first = harness.notify('before');
    await vi.waitFor(() => expect(ids).toEqual([first.id]), WAIT);

    harness.realtime.io.disconnectSockets();
    const missed = [harness.notify('missed 1'), harness.notify('missed 2')];
    await until(client, (state) => state.status !== 'live');
    await until(client, (state) => state.status === 'live');
    await vi.waitFor(() => expect(ids).toEqual([first.id, ...missed.map((item) => item.id)]), WAIT);
    const after = harness.notify('after');
    await vi.waitFor(() => expect(ids).toHaveLength(4), WAIT);
    expect(ids[3]).toBe(after.id);

    const list = queryClient.getQueryData<NotificationsData>(realtimeKeys.notifications.list(20));
    const listed = list?.pages.flatMap((page: NotificationsPage) => page.items.map((item) => item.id)) ?? [];
    expect(listed).toEqual([after.id, missed[1]?.id, missed[0]?.id, first.id]);
  });

  it('polls while the server is down, resyncs after it restarts, and goes live again', async () => {
    harness.updateKpis('risk', { exposure: 1 });
    const client = makeClient({ pollIntervalMs: 25 });
    client.subscribeKpis('risk');
    client.connect();
    // What the React bindings do, with query-core alone: an observer keeps the query active.
    const observer = new QueryObserver(queryClient, kpisQuery(client, 'risk'));
    const stopObserving = observer.subscribe(() => undefined);
    const snapshot = () => queryClient.getQueryData<KpiSnapshot>(realtimeKeys.kpis.module('risk'));
    try {
      await until(client, (state) => state.status === 'live');
      const stream = 'kpi@tenant:acme:module:risk';
      await vi.waitFor(() => expect(client.cursors()[stream]).toBeGreaterThan(0), WAIT);
      const subscribedAt = client.cursors()[stream] ?? 0;
      harness.updateKpis('risk', { exposure: 2 });
      await vi.waitFor(() => expect(snapshot()?.position.seq).toBe(subscribedAt + 1), WAIT);
      expect(client.pollInterval()).toBe(false);

      await harness.killSocket();
      const down = await until(client, (state) => state.status === 'polling');
      expect(down.error?.code).toBe('UNAVAILABLE');
      expect(client.pollInterval()).toBe(25);
      const requestsBefore = harness.restRequests.length;
      harness.updateKpis('risk', { exposure: 20 });
      await vi.waitFor(() => expect(snapshot()?.kpis[0]?.value).toBe(20), WAIT);
      expect(harness.restRequests.length).toBeGreaterThan(requestsBefore);
      await until(client, (state) => state.attempt >= 2);

      await harness.startSocket();
      const live = await until(client, (state) => state.status === 'live');
      expect(live.attempt).toBe(0);
      expect(client.pollInterval()).toBe(false);
      // The restarted server numbers the stream in a new epoch: the client resyncs and refetches,
      // so its snapshot now stands at the new server's position.
      const restartedAt = (await harness.realtime.position('kpi', { kind: 'module', tenantId: 'acme', module: 'risk' }))
        .seq;
      expect(restartedAt).not.toBe(subscribedAt + 1);
      await vi.waitFor(() => expect(snapshot()?.position.seq).toBe(restartedAt), WAIT);
      await vi.waitFor(
        () => expect(harness.realtime.io.of('/').adapter.rooms.get('tenant:acme:module:risk')?.size).toBe(1),
        WAIT,
      );
      harness.updateKpis('risk', { exposure: 3 });
      await vi.waitFor(() => expect(snapshot()?.kpis[0]?.value).toBe(3), WAIT);
      expect(snapshot()?.position.seq).toBeGreaterThan(subscribedAt);
      expect(snapshot()?.kpis[0]?.history).toEqual([1, 2, 20, 3]);
    } finally {
      stopObserving();
    }
  });

  it('refreshes a refused token once, then connects', async () => {
    const calls: boolean[] = [];
    const client = makeClient({
      getToken: ({ forceRefresh }) => {
        calls.push(forceRefresh);
        return forceRefresh ? harness.signToken() : harness.signToken(-60);
      },
    });
    client.connect();
    await until(client, (state) => state.status === 'live');
    expect(calls).toEqual([false, true]);
  });

  it('gives up as unauthorized when the refreshed token is refused too (no loop)', async () => {
    const calls: boolean[] = [];
    const client = makeClient({
      getToken: ({ forceRefresh }) => {
        calls.push(forceRefresh);
        return 'not-a-jwt';
      },
    });
    client.connect();
    const state = await until(client, (current) => current.status === 'unauthorized');
    expect(state.error?.code).toBe('UNAUTHORIZED');
    expect(calls).toEqual([false, true]);
    expect(client.pollInterval()).toBe(false);
  });

  it('reconnects with a fresh token when the server ends an expiring session', async () => {
    let issued = 0;
    const client = makeClient({
      getToken: () => {
        issued += 1;
        // The first token expires within two seconds (JWT `exp` has one-second resolution).
        return harness.signToken(issued === 1 ? 1 : 3600);
      },
    });
    client.connect();
    const first = await until(client, (state) => state.status === 'live');
    await until(client, (state) => state.status !== 'live');
    const second = await until(client, (state) => state.status === 'live');
    expect(issued).toBe(2);
    expect(second.lastConnectedAt).toBeGreaterThanOrEqual(first.lastConnectedAt ?? 0);
  });

  it('reconnects at once when the browser comes back online, not after the backoff', async () => {
    const environment = Object.assign(new EventTarget(), { navigator: { onLine: true } });
    await harness.killSocket();
    const client = makeClient({
      environment,
      backoff: { baseMs: 3_600_000, maxMs: 3_600_000 },
      random: () => 0.5,
    });
    client.connect();
    const down = await until(client, (state) => state.status === 'polling');
    expect(down.nextRetryAt).toBeGreaterThan(Date.now() + 60_000);

    environment.navigator.onLine = false;
    environment.dispatchEvent(new Event('offline'));
    expect(client.getState().status).toBe('offline');

    await harness.startSocket();
    environment.navigator.onLine = true;
    environment.dispatchEvent(new Event('online'));
    await until(client, (state) => state.status === 'live');
  });

  it('reconnects at once when the tab becomes visible again', async () => {
    const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    const environment = Object.assign(new EventTarget(), { navigator: { onLine: true }, document });
    await harness.killSocket();
    const client = makeClient({ environment, backoff: { baseMs: 3_600_000, maxMs: 3_600_000 }, random: () => 0.5 });
    client.connect();
    await until(client, (state) => state.status === 'polling');
    await harness.startSocket();
    document.dispatchEvent(new Event('visibilitychange'));
    expect(client.getState().status).toBe('polling');
    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    await until(client, (state) => state.status === 'live');
  });
});
