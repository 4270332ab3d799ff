import { type AlertsResponse, type KpiSnapshot, Module, parseRoom, type UnreadCountResponse } from '@org/contracts';
import type { QueryClient, QueryKey } from '@tanstack/query-core';
import {
  applyAlertAcknowledged,
  applyAlertNew,
  applyDashboardUpdate,
  applyKpiUpdate,
  applyNotificationNew,
  applyNotificationsRead,
  applyUnreadCount,
  isUnseenNotification,
  type NotificationsData,
} from './cacheUpdates.js';
import { realtimeKeys } from './queryKeys.js';
import type { RealtimeClient, RealtimeMessage } from './realtimeClient.js';

/** The cache entries fed by a stream, from its name (`channel@room`). */
export function queryKeysForStream(stream: string): QueryKey[] {
  const at = stream.indexOf('@');
  const channel = at < 0 ? stream : stream.slice(0, at);
  const room = at < 0 ? undefined : parseRoom(stream.slice(at + 1));
  switch (channel) {
    case 'kpi': {
      const module = room?.kind === 'module' ? Module.safeParse(room.module) : undefined;
      return [module?.success ? realtimeKeys.kpis.module(module.data) : realtimeKeys.kpis.all];
    }
    case 'dashboard':
      return [realtimeKeys.dashboard];
    case 'notifications':
      return [realtimeKeys.notifications.all];
    case 'alerts':
      return [realtimeKeys.alerts.all];
    default:
      return [];
  }
}

/**
 * Writes live events into TanStack Query's cache: `setQueryData` where an event carries the new
 * state (KPI values, notifications, read state, alerts), invalidation where the cache can no longer
 * be trusted (a gap, a resync, a replay whose effect on a counter is unknown).
 */
export class QueryCacheSync {
  readonly #queryClient: QueryClient;
  readonly #historyLimit: number;
  readonly #unsubscribe: Array<() => void>;

  constructor(
    client: Pick<RealtimeClient, 'onMessage' | 'onStale'>,
    queryClient: QueryClient,
    options: { historyLimit: number },
  ) {
    this.#queryClient = queryClient;
    this.#historyLimit = options.historyLimit;
    this.#unsubscribe = [
      client.onMessage((message) => this.#apply(message)),
      client.onStale((stream) => {
        for (const queryKey of queryKeysForStream(stream)) void queryClient.invalidateQueries({ queryKey });
      }),
    ];
  }

  dispose(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe.length = 0;
  }

  #apply(message: RealtimeMessage): void {
    const queryClient = this.#queryClient;
    switch (message.event) {
      case 'kpi:update': {
        const { envelope } = message;
        queryClient.setQueryData<KpiSnapshot>(realtimeKeys.kpis.module(envelope.data.module), (snapshot) =>
          applyKpiUpdate(snapshot, envelope, this.#historyLimit),
        );
        break;
      }
      case 'dashboard:update': {
        const { envelope } = message;
        queryClient.setQueryData(realtimeKeys.dashboard, (snapshot: Parameters<typeof applyDashboardUpdate>[0]) =>
          applyDashboardUpdate(snapshot, envelope),
        );
        break;
      }
      case 'notification:new': {
        const notification = message.envelope.data;
        const lists = queryClient.getQueriesData<NotificationsData>({ queryKey: realtimeKeys.notifications.lists });
        const unseen = lists.every(([, data]) => isUnseenNotification(data, notification.id));
        queryClient.setQueriesData<NotificationsData>({ queryKey: realtimeKeys.notifications.lists }, (data) =>
          applyNotificationNew(data, notification),
        );
        if (message.envelope.replay) {
          // A polled count may already include a replayed notification: ask the server.
          void queryClient.invalidateQueries({ queryKey: realtimeKeys.notifications.unreadCount });
        } else if (unseen && notification.readAt === null) {
          queryClient.setQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount, (data) =>
            data ? { unreadCount: data.unreadCount + 1 } : data,
          );
        }
        break;
      }
      case 'notification:read': {
        const read = message.envelope.data;
        queryClient.setQueriesData<NotificationsData>({ queryKey: realtimeKeys.notifications.lists }, (data) =>
          applyNotificationsRead(data, read),
        );
        queryClient.setQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount, (data) =>
          applyUnreadCount(data, read.unreadCount),
        );
        break;
      }
      case 'alert:new': {
        const alert = message.envelope.data;
        for (const [queryKey] of queryClient.getQueriesData<AlertsResponse>({ queryKey: realtimeKeys.alerts.all })) {
          const limit = alertLimit(queryKey);
          queryClient.setQueryData<AlertsResponse>(queryKey, (data) => applyAlertNew(data, alert, limit));
        }
        break;
      }
      case 'alert:acknowledged': {
        const ack = message.envelope.data;
        queryClient.setQueriesData<AlertsResponse>({ queryKey: realtimeKeys.alerts.all }, (data) =>
          applyAlertAcknowledged(data, ack),
        );
        break;
      }
      default:
        break;
    }
  }
}

function alertLimit(queryKey: QueryKey): number {
  const options = queryKey[2];
  if (typeof options === 'object' && options !== null && 'limit' in options && typeof options.limit === 'number') {
    return options.limit;
  }
  return 10;
}
