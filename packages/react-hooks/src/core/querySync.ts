import {
  type AlertsResponse,
  type DashboardSnapshot,
  type KpiSnapshot,
  Module,
  parseRoom,
  type UnreadCountResponse,
} from '@org/contracts';
import { hashKey, type QueryClient, type QueryKey } from '@tanstack/query-core';
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

/** How many recent events are kept to re-apply on top of snapshots fetched while they arrived. */
const RECENT_EVENTS = 200;

/**
 * Writes live events into TanStack Query's cache: `setQueryData` where an event carries the new
 * state (KPI values, notifications, read state, alerts), invalidation where the cache can no longer
 * be trusted (a gap, a resync, a replay whose effect on a counter is unknown).
 *
 * A snapshot fetched over REST may be older than events that arrived while it was in flight;
 * when it lands, those events are applied again on top of it (positions and ids make that safe).
 */
export class QueryCacheSync {
  readonly #queryClient: QueryClient;
  readonly #historyLimit: number;
  readonly #unsubscribe: Array<() => void>;
  readonly #recent: RealtimeMessage[] = [];
  readonly #fetchStartedAt = new Map<string, number>();

  constructor(
    client: Pick<RealtimeClient, 'onMessage' | 'onStale'>,
    queryClient: QueryClient,
    options: { historyLimit: number },
  ) {
    this.#queryClient = queryClient;
    this.#historyLimit = options.historyLimit;
    this.#unsubscribe = [
      client.onMessage((message) => {
        this.#recent.push(message);
        if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
        this.#apply(message);
      }),
      client.onStale((stream) => {
        // Events of an untrusted stream must not be replayed onto the refetched snapshot.
        for (let index = this.#recent.length - 1; index >= 0; index -= 1) {
          if (this.#recent[index]?.envelope.stream === stream) this.#recent.splice(index, 1);
        }
        for (const queryKey of queryKeysForStream(stream)) void queryClient.invalidateQueries({ queryKey });
      }),
      queryClient.getQueryCache().subscribe((event) => {
        if (event.type === 'removed') this.#fetchStartedAt.delete(event.query.queryHash);
        if (event.type !== 'updated' || event.query.queryKey[0] !== realtimeKeys.all[0]) return;
        const { queryHash, queryKey } = event.query;
        if (event.action.type === 'fetch') {
          this.#fetchStartedAt.set(queryHash, Date.now());
        } else if (event.action.type === 'success' && !event.action.manual) {
          const since = this.#fetchStartedAt.get(queryHash);
          this.#fetchStartedAt.delete(queryHash);
          if (since === undefined) return;
          const arrived = this.#recent.filter((message) => message.receivedAt >= since);
          if (hashKey(queryKey) === hashKey(realtimeKeys.notifications.unreadCount)) {
            // A count cannot tell whether it includes what arrived meanwhile: ask again.
            if (
              arrived.some((message) => message.event === 'notification:new' || message.event === 'notification:read')
            ) {
              void queryClient.invalidateQueries({ queryKey, exact: true });
            }
            return;
          }
          for (const message of arrived) this.#apply(message, queryKey);
        } else if (event.action.type === 'error') {
          this.#fetchStartedAt.delete(queryHash);
        }
      }),
    ];
  }

  dispose(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe.length = 0;
    this.#recent.length = 0;
  }

  /** Applies an event to every cache entry it feeds, or only to `only` (re-applying after a fetch). */
  #apply(message: RealtimeMessage, only?: QueryKey): void {
    const queryClient = this.#queryClient;
    const scope = (family: QueryKey): QueryKey | undefined => {
      if (!only) return family;
      return family.every((part, index) => hashKey([part]) === hashKey([only[index]])) ? only : undefined;
    };
    switch (message.event) {
      case 'kpi:update': {
        const { envelope } = message;
        const queryKey = scope(realtimeKeys.kpis.module(envelope.data.module));
        if (!queryKey) return;
        queryClient.setQueryData<KpiSnapshot>(queryKey, (snapshot) =>
          applyKpiUpdate(snapshot, envelope, this.#historyLimit),
        );
        break;
      }
      case 'dashboard:update': {
        const { envelope } = message;
        const queryKey = scope(realtimeKeys.dashboard);
        if (!queryKey) return;
        queryClient.setQueryData<DashboardSnapshot>(queryKey, (snapshot) => applyDashboardUpdate(snapshot, envelope));
        break;
      }
      case 'notification:new': {
        const notification = message.envelope.data;
        const queryKey = scope(realtimeKeys.notifications.lists);
        if (!queryKey) return;
        const lists = queryClient.getQueriesData<NotificationsData>({ queryKey });
        const unseen = lists.every(([, data]) => isUnseenNotification(data, notification.id));
        queryClient.setQueriesData<NotificationsData>({ queryKey }, (data) => applyNotificationNew(data, notification));
        if (only) return;
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
        const queryKey = scope(realtimeKeys.notifications.lists);
        if (queryKey) {
          queryClient.setQueriesData<NotificationsData>({ queryKey }, (data) => applyNotificationsRead(data, read));
        }
        const countKey = scope(realtimeKeys.notifications.unreadCount);
        if (countKey && !only) {
          queryClient.setQueryData<UnreadCountResponse>(countKey, (data) => applyUnreadCount(data, read.unreadCount));
        }
        break;
      }
      case 'alert:new': {
        const alert = message.envelope.data;
        const queryKey = scope(realtimeKeys.alerts.all);
        if (!queryKey) return;
        for (const [key] of queryClient.getQueriesData<AlertsResponse>({ queryKey })) {
          queryClient.setQueryData<AlertsResponse>(key, (data) => applyAlertNew(data, alert, alertLimit(key)));
        }
        break;
      }
      case 'alert:acknowledged': {
        const ack = message.envelope.data;
        const queryKey = scope(realtimeKeys.alerts.all);
        if (!queryKey) return;
        queryClient.setQueriesData<AlertsResponse>({ queryKey }, (data) => applyAlertAcknowledged(data, ack));
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
