import type {
  AlertsResponse,
  Envelope,
  KpiSnapshot,
  Notification,
  NotificationsPage,
  ServerEventName,
  SystemAlert,
  UnreadCountResponse,
} from '@org/contracts';
import { QueryClient } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationsData } from './cacheUpdates.js';
import { realtimeKeys } from './queryKeys.js';
import { QueryCacheSync, queryKeysForStream } from './querySync.js';
import type { RealtimeMessage, StaleReason } from './realtimeClient.js';

const KPI_STREAM = 'kpi@tenant:acme:module:risk';
const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 9, 0, second)).toISOString();

/** Stands in for the client's listener registry; the cache and its updates are real. */
function fakeSource() {
  const messages = new Set<(message: RealtimeMessage) => void>();
  const stale = new Set<(stream: string, reason: StaleReason) => void>();
  let id = 0;
  return {
    onMessage: (listener: (message: RealtimeMessage) => void) => {
      messages.add(listener);
      return () => messages.delete(listener);
    },
    onStale: (listener: (stream: string, reason: StaleReason) => void) => {
      stale.add(listener);
      return () => stale.delete(listener);
    },
    emit<TEvent extends ServerEventName>(event: TEvent, envelope: Omit<Envelope<unknown>, 'id' | 'ts'>) {
      id += 1;
      const message = { event, envelope: { id: `e${id}`, ts: 0, ...envelope }, receivedAt: 0, latencyMs: 0 };
      for (const listener of messages) listener(message as RealtimeMessage);
    },
    stale(stream: string) {
      for (const listener of stale) listener(stream, 'gap');
    },
  };
}

function kpi(key: string, value: number, second: number) {
  return {
    key,
    module: 'risk' as const,
    label: key,
    value,
    unit: 'count' as const,
    change: null,
    updatedAt: at(second),
  };
}

function notification(id: string, second: number, readAt: string | null = null): Notification {
  return {
    id,
    tenantId: 'acme',
    audience: { kind: 'user', userId: 'u1' },
    severity: 'info',
    title: `n ${id}`,
    body: '',
    createdAt: at(second),
    readAt,
  };
}

function alert(id: string): SystemAlert {
  return {
    id,
    tenantId: 'acme',
    severity: 'warning',
    category: 'payments',
    title: id,
    message: '',
    createdAt: at(1),
    acknowledgedAt: null,
    acknowledgedBy: null,
  };
}

describe('QueryCacheSync', () => {
  let queryClient: QueryClient;
  let source: ReturnType<typeof fakeSource>;
  let sync: QueryCacheSync;

  beforeEach(() => {
    queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    source = fakeSource();
    sync = new QueryCacheSync(source, queryClient, { historyLimit: 3 });
  });
  afterEach(() => {
    sync.dispose();
    queryClient.clear();
  });

  it('merges KPI values by key, bounds the history, and ignores events already in the snapshot', () => {
    const snapshot: KpiSnapshot = {
      tenantId: 'acme',
      module: 'risk',
      kpis: [{ ...kpi('exposure', 10, 0), history: [8, 9, 10] }],
      position: { stream: KPI_STREAM, seq: 5 },
      asOf: at(0),
    };
    queryClient.setQueryData(realtimeKeys.kpis.module('risk'), snapshot);

    const update = (seq: number, kpis: ReturnType<typeof kpi>[]) =>
      source.emit('kpi:update', { stream: KPI_STREAM, seq, data: { tenantId: 'acme', module: 'risk', kpis } });
    update(5, [kpi('exposure', 999, 1)]);
    expect(queryClient.getQueryData(realtimeKeys.kpis.module('risk'))).toBe(snapshot);

    update(6, [kpi('exposure', 11, 2), kpi('default_rate', 0.5, 2)]);
    const next = queryClient.getQueryData<KpiSnapshot>(realtimeKeys.kpis.module('risk'));
    expect(next?.kpis.map((k) => [k.key, k.value, k.history])).toEqual([
      ['exposure', 11, [9, 10, 11]],
      ['default_rate', 0.5, [0.5]],
    ]);
    expect(next?.position).toEqual({ stream: KPI_STREAM, seq: 6 });
    expect(next?.asOf).toBe(at(2));
  });

  it('does not invent a KPI snapshot that was never fetched', () => {
    source.emit('kpi:update', {
      stream: KPI_STREAM,
      seq: 1,
      data: { tenantId: 'acme', module: 'risk', kpis: [kpi('exposure', 1, 1)] },
    });
    expect(queryClient.getQueryData(realtimeKeys.kpis.module('risk'))).toBeUndefined();
  });

  it('prepends new notifications once and counts them unread', () => {
    const page: NotificationsPage = { items: [notification('n1', 1)], nextCursor: null, unreadCount: 1 };
    queryClient.setQueryData<NotificationsData>(realtimeKeys.notifications.list(20), {
      pages: [page],
      pageParams: [null],
    });
    queryClient.setQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount, { unreadCount: 1 });
    const stream = 'notifications@tenant:acme:user:u1';
    source.emit('notification:new', { stream, seq: 2, data: notification('n2', 2) });
    source.emit('notification:new', { stream, seq: 3, data: notification('n2', 2) });

    const data = queryClient.getQueryData<NotificationsData>(realtimeKeys.notifications.list(20));
    expect(data?.pages[0]?.items.map((item) => item.id)).toEqual(['n2', 'n1']);
    expect(data?.pages[0]?.unreadCount).toBe(2);
    expect(queryClient.getQueryData(realtimeKeys.notifications.unreadCount)).toEqual({ unreadCount: 2 });
  });

  it('applies read state (some ids, or all up to a time) and takes the server count', () => {
    queryClient.setQueryData<NotificationsData>(realtimeKeys.notifications.list(20), {
      pages: [
        { items: [notification('n3', 3), notification('n2', 2)], nextCursor: 'c', unreadCount: 3 },
        { items: [notification('n1', 1)], nextCursor: null, unreadCount: 3 },
      ],
      pageParams: [null, 'c'],
    });
    queryClient.setQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount, { unreadCount: 3 });
    const stream = 'notifications@tenant:acme:user:u1';
    source.emit('notification:read', {
      stream,
      seq: 1,
      data: { ids: ['n2'], all: false, readAt: at(5), unreadCount: 2 },
    });
    let data = queryClient.getQueryData<NotificationsData>(realtimeKeys.notifications.list(20));
    expect(data?.pages.flatMap((p) => p.items.map((item) => [item.id, item.readAt]))).toEqual([
      ['n3', null],
      ['n2', at(5)],
      ['n1', null],
    ]);
    source.emit('notification:read', { stream, seq: 2, data: { ids: [], all: true, readAt: at(2), unreadCount: 1 } });
    data = queryClient.getQueryData<NotificationsData>(realtimeKeys.notifications.list(20));
    expect(data?.pages.flatMap((p) => p.items.map((item) => item.readAt))).toEqual([null, at(5), at(2)]);
    expect(queryClient.getQueryData(realtimeKeys.notifications.unreadCount)).toEqual({ unreadCount: 1 });
  });

  it('keeps alert lists at their limit and applies acknowledgements', () => {
    queryClient.setQueryData<AlertsResponse>(realtimeKeys.alerts.list(2), { items: [alert('a2'), alert('a1')] });
    source.emit('alert:new', { stream: 'alerts@tenant:acme', seq: 3, data: alert('a3') });
    source.emit('alert:acknowledged', {
      stream: 'alerts@tenant:acme',
      seq: 4,
      data: { id: 'a2', acknowledgedAt: at(9), acknowledgedBy: 'u2' },
    });
    const data = queryClient.getQueryData<AlertsResponse>(realtimeKeys.alerts.list(2));
    expect(data?.items.map((item) => [item.id, item.acknowledgedBy])).toEqual([
      ['a3', null],
      ['a2', 'u2'],
    ]);
  });

  it('invalidates the queries a stale stream feeds', async () => {
    queryClient.setQueryData(realtimeKeys.kpis.module('risk'), { stale: false });
    queryClient.setQueryData(realtimeKeys.kpis.module('lending'), { stale: false });
    source.stale(KPI_STREAM);
    expect(queryClient.getQueryState(realtimeKeys.kpis.module('risk'))?.isInvalidated).toBe(true);
    expect(queryClient.getQueryState(realtimeKeys.kpis.module('lending'))?.isInvalidated).toBe(false);
  });

  it('maps stream names to query keys', () => {
    expect(queryKeysForStream(KPI_STREAM)).toEqual([realtimeKeys.kpis.module('risk')]);
    expect(queryKeysForStream('dashboard@tenant:acme:dashboard:ADMIN')).toEqual([realtimeKeys.dashboard]);
    expect(queryKeysForStream('notifications@tenant:acme:role:ADMIN')).toEqual([realtimeKeys.notifications.all]);
    expect(queryKeysForStream('alerts@*')).toEqual([realtimeKeys.alerts.all]);
    expect(queryKeysForStream('session@socket')).toEqual([]);
  });
});
