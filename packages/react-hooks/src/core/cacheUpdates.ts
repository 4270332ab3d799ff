import type {
  AlertAcknowledged,
  AlertsResponse,
  DashboardSnapshot,
  DashboardSummary,
  Envelope,
  Kpi,
  KpiSnapshot,
  KpiUpdate,
  KpiWithHistory,
  Notification,
  NotificationsPage,
  NotificationsRead,
  SystemAlert,
  UnreadCountResponse,
} from '@org/contracts';
import type { InfiniteData } from '@tanstack/query-core';

// Pure functions from (cached snapshot, live event) to the next snapshot. They return the same
// object when the event changes nothing, so TanStack Query does not notify observers in vain.

export type NotificationsData = InfiniteData<NotificationsPage, string | null>;

/**
 * Merges a KPI update into a module snapshot: values by key, each with a bounded history for its
 * sparkline. Events the snapshot already contains (`seq <= position.seq`) are ignored.
 */
export function applyKpiUpdate(
  snapshot: KpiSnapshot | undefined,
  envelope: Envelope<KpiUpdate>,
  historyLimit: number,
): KpiSnapshot | undefined {
  if (!snapshot || snapshot.module !== envelope.data.module) return snapshot;
  if (snapshot.position.stream === envelope.stream && envelope.seq <= snapshot.position.seq) return snapshot;
  const kpis = [...snapshot.kpis];
  for (const kpi of envelope.data.kpis) {
    const index = kpis.findIndex((existing) => existing.key === kpi.key);
    const previous = index >= 0 ? kpis[index] : undefined;
    const history = [...(previous?.history ?? []), kpi.value].slice(-historyLimit);
    const next: KpiWithHistory = { ...kpi, history };
    if (index >= 0) kpis[index] = next;
    else kpis.push(next);
  }
  return {
    ...snapshot,
    kpis,
    position: { stream: envelope.stream, seq: envelope.seq },
    asOf: latestTimestamp(
      snapshot.asOf,
      envelope.data.kpis.map((kpi) => kpi.updatedAt),
    ),
  };
}

/**
 * Merges one role's dashboard summary into the viewer's snapshot (the union of its roles): cards
 * and top KPIs by KPI key, newest first. Events at or below that role stream's position are ignored.
 */
export function applyDashboardUpdate(
  snapshot: DashboardSnapshot | undefined,
  envelope: Envelope<DashboardSummary>,
): DashboardSnapshot | undefined {
  if (!snapshot || snapshot.tenantId !== envelope.data.tenantId) return snapshot;
  const position = snapshot.positions.find((candidate) => candidate.stream === envelope.stream);
  if (position && envelope.seq <= position.seq) return snapshot;
  const positions = position
    ? snapshot.positions.map((candidate) =>
        candidate.stream === envelope.stream ? { stream: envelope.stream, seq: envelope.seq } : candidate,
      )
    : [...snapshot.positions, { stream: envelope.stream, seq: envelope.seq }];
  return {
    tenantId: snapshot.tenantId,
    cards: mergeByKey(snapshot.cards, envelope.data.cards, false).slice(0, 24),
    topKpis: mergeByKey(snapshot.topKpis, envelope.data.topKpis, true).slice(0, 24),
    updatedAt: latestTimestamp(snapshot.updatedAt, [envelope.data.updatedAt]),
    positions,
  };
}

function mergeByKey(current: Kpi[], incoming: Kpi[], newestFirst: boolean): Kpi[] {
  const byKey = new Map(current.map((kpi) => [kpi.key, kpi]));
  for (const kpi of incoming) byKey.set(kpi.key, kpi);
  const merged = [...byKey.values()];
  if (newestFirst) merged.sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt));
  return merged;
}

/** Prepends a new notification to the first page, unless any page already holds it. */
export function applyNotificationNew(
  data: NotificationsData | undefined,
  notification: Notification,
): NotificationsData | undefined {
  if (!data || data.pages.length === 0) return data;
  if (data.pages.some((page) => page.items.some((item) => item.id === notification.id))) return data;
  const [first, ...rest] = data.pages as [NotificationsPage, ...NotificationsPage[]];
  const unreadCount = first.unreadCount + (notification.readAt === null ? 1 : 0);
  return {
    ...data,
    pages: [{ ...first, items: [notification, ...first.items], unreadCount }, ...rest],
  };
}

export function isUnseenNotification(data: NotificationsData | undefined, id: string): boolean {
  return !data?.pages.some((page) => page.items.some((item) => item.id === id));
}

/** Marks notifications read (some ids, or all created up to `readAt`) and takes the server's unread count. */
export function applyNotificationsRead(
  data: NotificationsData | undefined,
  read: NotificationsRead,
): NotificationsData | undefined {
  if (!data) return data;
  const ids = new Set(read.ids);
  const readUpTo = Date.parse(read.readAt);
  const isRead = (item: Notification) => ids.has(item.id) || (read.all && Date.parse(item.createdAt) <= readUpTo);
  return {
    ...data,
    pages: data.pages.map((page) => ({
      ...page,
      unreadCount: read.unreadCount,
      items: page.items.map((item) => (item.readAt === null && isRead(item) ? { ...item, readAt: read.readAt } : item)),
    })),
  };
}

export function applyUnreadCount(
  data: UnreadCountResponse | undefined,
  unreadCount: number,
): UnreadCountResponse | undefined {
  return data && data.unreadCount !== unreadCount ? { unreadCount } : data;
}

/** The optimistic local effect of marking notifications read: ids, or every one when `all`. */
export function optimisticRead(
  data: NotificationsData | undefined,
  target: { id: string } | { all: true },
  now: string,
) {
  if (!data) return data;
  const first = data.pages[0];
  if (!first) return data;
  let newlyRead = 0;
  const pages = data.pages.map((page) => ({
    ...page,
    items: page.items.map((item) => {
      if (item.readAt !== null || ('id' in target && item.id !== target.id)) return item;
      newlyRead += 1;
      return { ...item, readAt: now };
    }),
  }));
  const unreadCount = 'all' in target ? 0 : Math.max(0, first.unreadCount - newlyRead);
  return { ...data, pages: pages.map((page) => ({ ...page, unreadCount })) };
}

/** Prepends a new alert, keeping the list at its limit. */
export function applyAlertNew(data: AlertsResponse | undefined, alert: SystemAlert, limit: number) {
  if (!data || data.items.some((item) => item.id === alert.id)) return data;
  return { ...data, items: [alert, ...data.items].slice(0, limit) };
}

export function applyAlertAcknowledged(data: AlertsResponse | undefined, ack: AlertAcknowledged) {
  if (!data?.items.some((item) => item.id === ack.id && item.acknowledgedAt === null)) return data;
  return {
    ...data,
    items: data.items.map((item) =>
      item.id === ack.id ? { ...item, acknowledgedAt: ack.acknowledgedAt, acknowledgedBy: ack.acknowledgedBy } : item,
    ),
  };
}

function latestTimestamp(current: string, candidates: string[]): string {
  let latest = current;
  for (const candidate of candidates) if (Date.parse(candidate) > Date.parse(latest)) latest = candidate;
  return latest;
}
