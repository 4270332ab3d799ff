import type { Module } from '@org/contracts';

/**
 * Query keys of every cache entry the realtime client reads or writes. Hierarchical, so that
 * `realtimeKeys.notifications.all` invalidates both the list and the unread count.
 */
export const realtimeKeys = {
  all: ['realtime'] as const,
  kpis: {
    all: ['realtime', 'kpis'] as const,
    module: (module: Module) => ['realtime', 'kpis', module] as const,
  },
  dashboard: ['realtime', 'dashboard'] as const,
  notifications: {
    all: ['realtime', 'notifications'] as const,
    lists: ['realtime', 'notifications', 'list'] as const,
    list: (limit: number) => ['realtime', 'notifications', 'list', { limit }] as const,
    unreadCount: ['realtime', 'notifications', 'unreadCount'] as const,
  },
  alerts: {
    all: ['realtime', 'alerts'] as const,
    list: (limit: number) => ['realtime', 'alerts', { limit }] as const,
  },
  me: ['realtime', 'me'] as const,
} as const;
