// @vitest-environment happy-dom
import type { UnreadCountResponse } from '@org/contracts';
import { QueryClient } from '@tanstack/react-query';
import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import { type ReactNode, StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RealtimeClient,
  type RealtimeClientOptions,
  RealtimeProvider,
  RealtimeRequestError,
  realtimeKeys,
  useConnection,
  useDashboard,
  useEmit,
  useKpis,
  useNotifications,
  useRealtimeEvent,
  useRealtimeStream,
  useSystemAlerts,
} from '../src/index.js';
import { type Harness, startHarness } from './support/harness.js';

const WAIT = { timeout: 10_000, interval: 10 };

function KpiCard({ name }: { name: string }) {
  const { kpis } = useKpis('risk');
  const { status } = useConnection();
  const exposure = kpis.find((kpi) => kpi.key === 'exposure');
  return (
    <p data-testid={name}>
      {status}:{exposure ? `${exposure.value}@${exposure.history.join(',')}` : '-'}
    </p>
  );
}

function ProviderFromOptions(props: { harness: Harness; queryClient: QueryClient; calls: string[]; label: string }) {
  const { harness, label, calls } = props;
  return (
    <RealtimeProvider
      url={harness.socketUrl}
      apiUrl={harness.restUrl}
      queryClient={props.queryClient}
      getToken={() => {
        calls.push(label);
        return harness.signToken();
      }}
    >
      <KpiCard name="options" />
    </RealtimeProvider>
  );
}

describe('React hooks against a real Socket.IO server and REST API', () => {
  let harness: Harness;
  let queryClient: QueryClient;
  let client: RealtimeClient;

  const setup = async (options: Partial<RealtimeClientOptions> & { failMarkRead?: boolean } = {}) => {
    const { failMarkRead, ...clientOptions } = options;
    harness = await startHarness({ failMarkRead: failMarkRead ?? false });
    queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    client = new RealtimeClient({
      url: harness.socketUrl,
      apiUrl: harness.restUrl,
      getToken: () => harness.signToken(),
      queryClient,
      backoff: { baseMs: 20, maxMs: 200 },
      pollIntervalMs: 25,
      ...clientOptions,
    });
  };
  const wrapper = ({ children }: { children: ReactNode }) => (
    <RealtimeProvider client={client}>{children}</RealtimeProvider>
  );

  afterEach(async () => {
    cleanup();
    client.disconnect();
    await queryClient.cancelQueries();
    queryClient.clear();
    await harness.close();
  });

  describe('KPIs and the connection', () => {
    beforeEach(() => setup());

    it('renders live KPI updates from the cache, over one shared subscription', async () => {
      harness.updateKpis('risk', { exposure: 1 });
      const view = render(
        <RealtimeProvider client={client}>
          <KpiCard name="a" />
          <KpiCard name="b" />
        </RealtimeProvider>,
      );
      await waitFor(() => expect(screen.getByTestId('a').textContent).toBe('live:1@1'), WAIT);
      const room = () => harness.realtime.io.of('/').adapter.rooms.get('tenant:acme:module:risk')?.size ?? 0;
      await waitFor(() => expect(room()).toBe(1), WAIT);
      expect(client.kpiSubscribers('risk')).toBe(2);

      harness.updateKpis('risk', { exposure: 2 });
      await waitFor(() => expect(screen.getByTestId('a').textContent).toBe('live:2@1,2'), WAIT);
      expect(screen.getByTestId('b').textContent).toBe('live:2@1,2');

      view.unmount();
      expect(client.kpiSubscribers('risk')).toBe(0);
    });

    it('creates, connects and disconnects its own client from options, calling the latest getToken', async () => {
      const calls: string[] = [];
      harness.updateKpis('risk', { exposure: 1 });
      const props = { harness, queryClient, calls };
      const view = render(<ProviderFromOptions {...props} label="first" />);
      await waitFor(() => expect(screen.getByTestId('options').textContent).toBe('live:1@1'), WAIT);
      view.rerender(<ProviderFromOptions {...props} label="second" />);
      harness.realtime.io.disconnectSockets();
      await waitFor(() => expect(calls.at(-1)).toBe('second'), WAIT);
      await waitFor(() => expect(screen.getByTestId('options').textContent).toBe('live:1@1'), WAIT);
      view.unmount();
      await waitFor(() => expect(harness.realtime.io.of('/').sockets.size).toBe(0), WAIT);
    });

    it('works under StrictMode (effects run twice) with one subscription left', async () => {
      harness.updateKpis('risk', { exposure: 1 });
      render(
        <StrictMode>
          <RealtimeProvider client={client}>
            <KpiCard name="strict" />
          </RealtimeProvider>
        </StrictMode>,
      );
      await waitFor(() => expect(screen.getByTestId('strict').textContent).toBe('live:1@1'), WAIT);
      expect(client.kpiSubscribers('risk')).toBe(1);
      await waitFor(
        () => expect(harness.realtime.io.of('/').adapter.rooms.get('tenant:acme:module:risk')?.size).toBe(1),
        WAIT,
      );
      harness.updateKpis('risk', { exposure: 2 });
      await waitFor(() => expect(screen.getByTestId('strict').textContent).toBe('live:2@1,2'), WAIT);
      // StrictMode connects, disconnects and connects again: the first socket may still be closing.
      await waitFor(() => expect(harness.realtime.io.of('/').sockets.size).toBe(1), WAIT);
    });

    it('shows polling while the server is down and keeps updating through REST, then live again', async () => {
      harness.updateKpis('risk', { exposure: 1 });
      render(
        <RealtimeProvider client={client}>
          <KpiCard name="card" />
        </RealtimeProvider>,
      );
      await waitFor(() => expect(screen.getByTestId('card').textContent).toBe('live:1@1'), WAIT);

      await act(() => harness.killSocket());
      await waitFor(() => expect(screen.getByTestId('card').textContent).toBe('polling:1@1'), WAIT);
      harness.updateKpis('risk', { exposure: 5 });
      await waitFor(() => expect(screen.getByTestId('card').textContent).toBe('polling:5@1,5'), WAIT);

      await act(() => harness.startSocket());
      await waitFor(() => expect(screen.getByTestId('card').textContent).toMatch(/^live:5@/), WAIT);
      harness.updateKpis('risk', { exposure: 6 });
      await waitFor(() => expect(screen.getByTestId('card').textContent).toBe('live:6@1,5,6'), WAIT);
    });

    it('exposes delivery latency and counts per stream with useRealtimeStream', async () => {
      harness.updateKpis('risk', { exposure: 1 });
      const { result } = renderHook(
        () => ({
          kpis: useKpis('risk'),
          stream: useRealtimeStream('kpi@tenant:acme:module:risk', { events: ['kpi:update'] }),
        }),
        { wrapper },
      );
      await waitFor(() => expect(result.current.stream.status).toBe('live'), WAIT);
      await waitFor(
        () => expect(harness.realtime.io.of('/').adapter.rooms.get('tenant:acme:module:risk')?.size).toBe(1),
        WAIT,
      );
      harness.updateKpis('risk', { exposure: 2 });
      harness.updateKpis('risk', { exposure: 3 });
      await waitFor(() => expect(result.current.stream.messageCount).toBe(2), WAIT);
      expect(result.current.stream.data?.kpis[0]?.value).toBe(3);
      const seq = result.current.stream.lastMessage?.envelope.seq ?? 0;
      expect(client.cursors()['kpi@tenant:acme:module:risk']).toBe(seq);
      expect(result.current.stream.lastMessage?.latencyMs).toBeGreaterThanOrEqual(0);
      expect(result.current.stream.error).toBeNull();
    });

    it('merges live dashboard summaries into the snapshot', async () => {
      harness.updateDashboard('risk', 1);
      const { result } = renderHook(() => useDashboard(), { wrapper });
      await waitFor(() => expect(result.current.cards.map((card) => card.value)).toEqual([1]), WAIT);
      await waitFor(
        () => expect(harness.realtime.io.of('/').adapter.rooms.get('tenant:acme:dashboard:RISK_ANALYST')?.size).toBe(1),
        WAIT,
      );
      harness.updateDashboard('lending', 7);
      await waitFor(
        () =>
          expect(result.current.cards.map((card) => [card.key, card.value])).toEqual([
            ['risk_headline', 1],
            ['lending_headline', 7],
          ]),
        WAIT,
      );
      expect(result.current.topKpis.map((kpi) => kpi.key).sort()).toEqual(['lending_headline', 'risk_headline']);
      expect(result.current.status).toBe('live');
    });

    it('types emits and their errors by the contract', async () => {
      const { result } = renderHook(() => ({ emit: useEmit(), connection: useConnection() }), { wrapper });
      await waitFor(() => expect(result.current.connection.status).toBe('live'), WAIT);
      const pong = await result.current.emit('ping', { clientTime: 1 });
      expect(pong.clientTime).toBe(1);
      const error = await result.current
        .emit('kpi:subscribe', { module: 'support' })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RealtimeRequestError);
      expect((error as RealtimeRequestError).code).toBe('FORBIDDEN');
    });
  });

  describe('tokens', () => {
    it('refreshes an expired token and goes live', async () => {
      const asked: boolean[] = [];
      await setup({
        getToken: ({ forceRefresh }) => {
          asked.push(forceRefresh);
          return harness.signToken(forceRefresh ? 3600 : -60);
        },
      });
      const { result } = renderHook(() => useConnection(), { wrapper });
      await waitFor(() => expect(result.current.status).toBe('live'), WAIT);
      expect(asked.slice(0, 2)).toEqual([false, true]);
    });

    it('shows unauthorized when even a refreshed token is refused', async () => {
      await setup({ getToken: () => 'not-a-jwt' });
      const { result } = renderHook(() => useConnection(), { wrapper });
      await waitFor(() => expect(result.current.status).toBe('unauthorized'), WAIT);
    });
  });

  describe('notifications', () => {
    it('adds live notifications once, and after a restart shows the missed ones exactly once', async () => {
      await setup();
      const first = harness.notify('first');
      const seen: string[] = [];
      const { result } = renderHook(
        () => {
          useRealtimeEvent('notification:new', (notification) => seen.push(notification.id));
          return useNotifications();
        },
        { wrapper },
      );
      await waitFor(() => expect(result.current.notifications.map((n) => n.id)).toEqual([first.id]), WAIT);
      await waitFor(() => expect(result.current.status).toBe('live'), WAIT);

      const live = harness.notify('live');
      await waitFor(() => expect(result.current.notifications.map((n) => n.id)).toEqual([live.id, first.id]), WAIT);
      await waitFor(() => expect(result.current.unreadCount).toBe(2), WAIT);
      expect(seen).toEqual([live.id]);

      await act(() => harness.killSocket());
      const missed = [harness.notify('missed 1'), harness.notify('missed 2')];
      await act(() => harness.startSocket());
      await waitFor(() => expect(result.current.status).toBe('live'), WAIT);
      const expected = [missed[1]?.id, missed[0]?.id, live.id, first.id];
      await waitFor(() => expect(result.current.notifications.map((n) => n.id)).toEqual(expected), WAIT);
      await waitFor(() => expect(result.current.unreadCount).toBe(4), WAIT);
      const after = harness.notify('after');
      await waitFor(() => expect(result.current.notifications.map((n) => n.id)).toEqual([after.id, ...expected]), WAIT);
      expect(new Set(result.current.notifications.map((n) => n.id)).size).toBe(5);
    });

    it('marks read optimistically and rolls back when the server refuses', async () => {
      await setup({ failMarkRead: true });
      const target = harness.notify('to read');
      const counts: number[] = [];
      const unsubscribe = queryClient.getQueryCache().subscribe(() => {
        const data = queryClient.getQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount);
        if (data && counts.at(-1) !== data.unreadCount) counts.push(data.unreadCount);
      });
      const { result } = renderHook(() => useNotifications(), { wrapper });
      await waitFor(() => expect(result.current.unreadCount).toBe(1), WAIT);
      await waitFor(() => expect(result.current.status).toBe('live'), WAIT);

      let failure: unknown;
      await act(() => result.current.markRead(target.id).catch((error: unknown) => (failure = error)));
      expect(failure).toBeInstanceOf(RealtimeRequestError);
      expect((failure as RealtimeRequestError).code).toBe('INTERNAL');
      await waitFor(() => expect(result.current.markReadError?.code).toBe('INTERNAL'), WAIT);
      expect(counts).toEqual([1, 0, 1]);
      await waitFor(() => expect(result.current.unreadCount).toBe(1), WAIT);
      expect(result.current.notifications[0]?.readAt).toBeNull();
      unsubscribe();
    });

    it('pages through older notifications', async () => {
      await setup();
      const [oldest, middle, newest] = [harness.notify('oldest'), harness.notify('middle'), harness.notify('newest')];
      const { result } = renderHook(() => useNotifications({ limit: 2 }), { wrapper });
      await waitFor(() => expect(result.current.notifications.map((n) => n.id)).toEqual([newest.id, middle.id]), WAIT);
      await waitFor(() => expect(result.current.status).toBe('live'), WAIT);
      expect(result.current.hasNextPage).toBe(true);
      await act(() => result.current.fetchNextPage());
      await waitFor(
        () => expect(result.current.notifications.map((n) => n.id)).toEqual([newest.id, middle.id, oldest.id]),
        WAIT,
      );
      expect(result.current.hasNextPage).toBe(false);
      await waitFor(() => expect(result.current.unreadCount).toBe(3), WAIT);
    });

    it('marks read and all read, confirmed by the server', async () => {
      await setup();
      const one = harness.notify('one');
      const two = harness.notify('two');
      const { result } = renderHook(() => useNotifications(), { wrapper });
      await waitFor(() => expect(result.current.unreadCount).toBe(2), WAIT);
      await waitFor(() => expect(result.current.status).toBe('live'), WAIT);
      await act(() => result.current.markRead(one.id));
      await waitFor(() => expect(result.current.unreadCount).toBe(1), WAIT);
      expect(result.current.notifications.find((n) => n.id === one.id)?.readAt).not.toBeNull();
      await act(() => result.current.markAllRead());
      await waitFor(() => expect(result.current.unreadCount).toBe(0), WAIT);
      expect(result.current.notifications.find((n) => n.id === two.id)?.readAt).not.toBeNull();
    });
  });

  describe('system alerts', () => {
    beforeEach(() => setup());

    it('keeps the latest alerts live and acknowledges them', async () => {
      const old = harness.raiseAlert('old');
      const { result } = renderHook(() => useSystemAlerts({ limit: 2 }), { wrapper });
      await waitFor(() => expect(result.current.alerts.map((a) => a.id)).toEqual([old.id]), WAIT);
      await waitFor(() => expect(result.current.status).toBe('live'), WAIT);
      const a = harness.raiseAlert('a');
      const b = harness.raiseAlert('b');
      await waitFor(() => expect(result.current.alerts.map((alert) => alert.id)).toEqual([b.id, a.id]), WAIT);
      const ack = await act(() => result.current.acknowledge(a.id));
      expect(ack).toMatchObject({ id: a.id, acknowledgedBy: 'alice' });
      await waitFor(
        () => expect(result.current.alerts.find((alert) => alert.id === a.id)?.acknowledgedBy).toBe('alice'),
        WAIT,
      );
    });
  });
});
