import type { Notification, NotificationsPage, NotificationsRead } from '@org/contracts';
import { type UseInfiniteQueryResult, useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo } from 'react';
import type { NotificationsData } from './core/cacheUpdates.js';
import type { RealtimeRequestError } from './core/errors.js';
import type { realtimeKeys } from './core/queryKeys.js';
import {
  type MarkReadRollback,
  type MarkReadTarget,
  markReadMutation,
  notificationsInfiniteQuery,
  unreadCountQuery,
} from './core/queryOptions.js';
import type { ConnectionStatus } from './core/realtimeClient.js';
import { useRealtimeClient } from './RealtimeProvider.js';
import { useConnectionStatus } from './useConnection.js';

export interface UseNotificationsOptions {
  /** Page size. Default 20. */
  limit?: number;
}

export interface UseNotificationsResult {
  /** Loaded notifications, newest first, across pages. */
  notifications: Notification[];
  unreadCount: number;
  hasNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
  /** Marks one read at once in the UI; rolls back if the server refuses. */
  markRead: (id: string) => Promise<NotificationsRead>;
  /** Marks all read at once in the UI; rolls back if the server refuses. */
  markAllRead: () => Promise<NotificationsRead>;
  /** The last mark-read failure, until the next attempt. */
  markReadError: RealtimeRequestError | null;
  status: ConnectionStatus;
  query: UseInfiniteQueryResult<NotificationsData>;
}

/** The user's notifications (paginated, newest first) with the unread count, live and polled like the others. */
export function useNotifications(options: UseNotificationsOptions = {}): UseNotificationsResult {
  const limit = options.limit ?? 20;
  const client = useRealtimeClient();
  const status = useConnectionStatus();
  useEffect(() => client.subscribeNotifications(), [client]);
  const query = useInfiniteQuery<
    NotificationsPage,
    Error,
    NotificationsData,
    ReturnType<typeof realtimeKeys.notifications.list>,
    string | null
  >({
    ...notificationsInfiniteQuery(client, limit),
  });
  const unread = useQuery(unreadCountQuery(client));
  const mutationOptions = useMemo(() => markReadMutation(client), [client]);
  const mutation = useMutation<NotificationsRead, RealtimeRequestError, MarkReadTarget, MarkReadRollback>(
    mutationOptions,
  );
  const { mutateAsync } = mutation;
  const markRead = useCallback((id: string) => mutateAsync({ id }), [mutateAsync]);
  const markAllRead = useCallback(() => mutateAsync({ all: true }), [mutateAsync]);
  const notifications = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return {
    notifications,
    unreadCount: unread.data?.unreadCount ?? query.data?.pages[0]?.unreadCount ?? 0,
    hasNextPage: query.hasNextPage,
    fetchNextPage: query.fetchNextPage,
    markRead,
    markAllRead,
    markReadError: mutation.error,
    status,
    query,
  };
}
