import type {
  AlertAcknowledged,
  AlertsResponse,
  DashboardSnapshot,
  KpiSnapshot,
  Module,
  NotificationsPage,
  NotificationsRead,
  UnreadCountResponse,
} from '@org/contracts';
import type { MutationOptions, QueryKey } from '@tanstack/query-core';
import {
  applyAlertAcknowledged,
  applyNotificationsRead,
  applyUnreadCount,
  type NotificationsData,
  optimisticRead,
} from './cacheUpdates.js';
import type { RealtimeRequestError } from './errors.js';
import { realtimeKeys } from './queryKeys.js';
import type { RealtimeClient } from './realtimeClient.js';

// Framework-free query and mutation definitions. Bindings add `refetchInterval` from the
// connection status, so the same queries poll REST while the socket is down.

export function kpisQuery(client: RealtimeClient, module: Module) {
  return {
    queryKey: realtimeKeys.kpis.module(module),
    queryFn: ({ signal }: { signal: AbortSignal }): Promise<KpiSnapshot> => client.api.kpis(module, signal),
  };
}

export function dashboardQuery(client: RealtimeClient) {
  return {
    queryKey: realtimeKeys.dashboard,
    queryFn: ({ signal }: { signal: AbortSignal }): Promise<DashboardSnapshot> => client.api.dashboard(signal),
  };
}

export function alertsQuery(client: RealtimeClient, limit: number) {
  return {
    queryKey: realtimeKeys.alerts.list(limit),
    queryFn: ({ signal }: { signal: AbortSignal }): Promise<AlertsResponse> => client.api.alerts(limit, signal),
  };
}

export function notificationsInfiniteQuery(client: RealtimeClient, limit: number) {
  return {
    queryKey: realtimeKeys.notifications.list(limit),
    queryFn: ({ signal, pageParam }: { signal: AbortSignal; pageParam: string | null }): Promise<NotificationsPage> =>
      client.api.notifications({ cursor: pageParam, limit }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage: NotificationsPage): string | null => lastPage.nextCursor,
  };
}

export function unreadCountQuery(client: RealtimeClient) {
  return {
    queryKey: realtimeKeys.notifications.unreadCount,
    queryFn: ({ signal }: { signal: AbortSignal }): Promise<UnreadCountResponse> => client.api.unreadCount(signal),
  };
}

/** What to mark read: one notification, or all of them. */
export type MarkReadTarget = { id: string } | { all: true };

/** Cache entries as they were before an optimistic update, to roll back to. */
export interface MarkReadRollback {
  lists: Array<[QueryKey, NotificationsData | undefined]>;
  unread: UnreadCountResponse | undefined;
}

/**
 * Marking notifications read, optimistically: the cache shows them read at once and goes back to
 * what it was if the server refuses. Uses the socket when connected, REST otherwise.
 */
export function markReadMutation(
  client: RealtimeClient,
): MutationOptions<NotificationsRead, RealtimeRequestError, MarkReadTarget, MarkReadRollback> {
  const queryClient = requireQueryClient(client);
  return {
    mutationKey: [...realtimeKeys.notifications.all, 'markRead'],
    mutationFn: (target) => {
      if ('id' in target) {
        return client.isConnected
          ? client.request('notification:markRead', { id: target.id })
          : client.api.markRead(target.id);
      }
      return client.isConnected ? client.request('notification:markAllRead', {}) : client.api.markAllRead();
    },
    onMutate: async (target) => {
      await queryClient.cancelQueries({ queryKey: realtimeKeys.notifications.all });
      const lists = queryClient.getQueriesData<NotificationsData>({ queryKey: realtimeKeys.notifications.lists });
      const unread = queryClient.getQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount);
      const wasUnread =
        'all' in target
          ? undefined
          : lists.some(([, data]) =>
              data?.pages.some((page) => page.items.some((item) => item.id === target.id && item.readAt === null)),
            );
      const now = new Date().toISOString();
      queryClient.setQueriesData<NotificationsData>({ queryKey: realtimeKeys.notifications.lists }, (data) =>
        optimisticRead(data, target, now),
      );
      queryClient.setQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount, (data) => {
        if (!data) return data;
        if ('all' in target) return { unreadCount: 0 };
        return wasUnread ? { unreadCount: Math.max(0, data.unreadCount - 1) } : data;
      });
      return { lists, unread };
    },
    onError: (_error, _target, rollback) => {
      if (!rollback) return;
      for (const [queryKey, data] of rollback.lists) queryClient.setQueryData(queryKey, data);
      queryClient.setQueryData(realtimeKeys.notifications.unreadCount, rollback.unread);
    },
    onSuccess: (read) => {
      queryClient.setQueriesData<NotificationsData>({ queryKey: realtimeKeys.notifications.lists }, (data) =>
        applyNotificationsRead(data, read),
      );
      queryClient.setQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount, (data) =>
        applyUnreadCount(data, read.unreadCount),
      );
    },
  };
}

/** Acknowledging a system alert; the cache shows it acknowledged once the server confirms. */
export function acknowledgeAlertMutation(
  client: RealtimeClient,
): MutationOptions<AlertAcknowledged, RealtimeRequestError, string> {
  const queryClient = requireQueryClient(client);
  return {
    mutationKey: [...realtimeKeys.alerts.all, 'acknowledge'],
    mutationFn: (id) =>
      client.isConnected ? client.request('alert:acknowledge', { id }) : client.api.acknowledgeAlert(id),
    onSuccess: (ack) => {
      queryClient.setQueriesData<AlertsResponse>({ queryKey: realtimeKeys.alerts.all }, (data) =>
        applyAlertAcknowledged(data, ack),
      );
    },
  };
}

function requireQueryClient(client: RealtimeClient) {
  if (!client.queryClient) throw new Error('this RealtimeClient was created without a queryClient');
  return client.queryClient;
}
