import {
  type AlertAcknowledged,
  type AlertDraft,
  type Audience,
  type DashboardSnapshot,
  type DashboardSummary,
  type Kpi,
  type KpiSnapshot,
  type KpiUpdate,
  type Module,
  modulesForRoles,
  type Notification,
  type NotificationDraft,
  type NotificationsRead,
  type Principal,
  type Role,
  type SystemAlert,
  type Target,
  type TargetFor,
} from '@org/contracts';
import type { RealtimeServer } from '@org/realtime-server';
import { ApiError, notFound } from './http/errors.js';
import { headlineKeys } from './simulator/kpiCatalog.js';
import { StoreError } from './store/errors.js';
import type { Store } from './store/index.js';

export type Viewer = Pick<Principal, 'tenantId' | 'userId' | 'roles'>;

const TOP_KPIS = 6;

const isConflict = (error: unknown) => error instanceof StoreError && error.code === 'CONFLICT';

function audienceTarget(tenantId: string, audience: Audience): TargetFor<'notification:new'> {
  switch (audience.kind) {
    case 'user':
      return { kind: 'user', tenantId, userId: audience.userId };
    case 'role':
      return { kind: 'role', tenantId, role: audience.role };
    case 'tenant':
      return { kind: 'tenant', tenantId };
  }
}

/** The summary a viewer with these roles may see: a headline card per module, and the biggest movers. */
export function summarize(tenantId: string, roles: readonly Role[], latest: Kpi[]): Omit<DashboardSummary, 'role'> {
  const modules = new Set<Module>(modulesForRoles(roles));
  const visible = latest.filter((kpi) => modules.has(kpi.module));
  const cards = visible.filter((kpi) => headlineKeys.has(kpi.key));
  const topKpis = visible
    .filter((kpi) => kpi.change !== null && kpi.change !== 0)
    .sort((a, b) => Math.abs(b.change ?? 0) - Math.abs(a.change ?? 0))
    .slice(0, TOP_KPIS);
  const updatedAt = visible
    .map((kpi) => kpi.updatedAt)
    .sort()
    .at(-1);
  return { tenantId, cards, topKpis, updatedAt: updatedAt ?? new Date().toISOString() };
}

/**
 * What the API does, once for REST and socket requests alike: persist first, then publish, so a
 * live event never announces something a refetch would not find.
 */
export function createServices(store: Store, realtime: RealtimeServer) {
  return {
    /**
     * With `id` (an idempotent publish), a notification already stored under it was published by
     * an earlier attempt: it is neither stored nor sent again (`duplicate`).
     */
    async publishNotification(tenantId: string, audience: Audience, draft: NotificationDraft, id?: string) {
      const target = audienceTarget(tenantId, audience);
      let notification: Notification;
      try {
        notification = await store.createNotification({ tenantId, audience, draft, ...(id && { id }) });
      } catch (error) {
        if (id && isConflict(error)) {
          return { id, duplicate: true, position: await realtime.position('notifications', target) };
        }
        throw error;
      }
      const position = await realtime.publish('notification:new', target, notification);
      return { id: notification.id, duplicate: false, position };
    },

    async markRead(viewer: Viewer, id: string): Promise<NotificationsRead> {
      const read = await store.markRead(viewer, id);
      if (!read) throw notFound('notification');
      await realtime.publish(
        'notification:read',
        { kind: 'user', tenantId: viewer.tenantId, userId: viewer.userId },
        read,
      );
      return read;
    },

    async markAllRead(viewer: Viewer): Promise<NotificationsRead> {
      const read = await store.markAllRead(viewer);
      await realtime.publish(
        'notification:read',
        { kind: 'user', tenantId: viewer.tenantId, userId: viewer.userId },
        read,
      );
      return read;
    },

    /** As `publishNotification`, `id` makes the publish idempotent. */
    async publishAlert(tenantId: string | null, draft: AlertDraft, id?: string) {
      const target = (tenantId === null ? { kind: 'system' } : { kind: 'tenant', tenantId }) as Extract<
        Target,
        { kind: 'system' | 'tenant' }
      >;
      let alert: SystemAlert;
      try {
        alert = await store.createAlert({ tenantId, draft, ...(id && { id }) });
      } catch (error) {
        if (id && isConflict(error))
          return { id, duplicate: true, position: await realtime.position('alerts', target) };
        throw error;
      }
      const position = await realtime.publish('alert:new', target, alert);
      return { id: alert.id, duplicate: false, position };
    },

    async acknowledgeAlert(viewer: Viewer, id: string): Promise<AlertAcknowledged> {
      const ack = await store.acknowledgeAlert(viewer, id);
      if (!ack) throw notFound('alert');
      // Acknowledgement is per tenant, so even a system-wide alert's ack stays in the tenant.
      await realtime.publish('alert:acknowledged', { kind: 'tenant', tenantId: viewer.tenantId }, ack);
      return ack;
    },

    async publishKpis(update: KpiUpdate) {
      await store.upsertKpis(update.tenantId, update.module, update.kpis);
      return realtime.publish(
        'kpi:update',
        { kind: 'module', tenantId: update.tenantId, module: update.module },
        update,
      );
    },

    /** Publishes each role's own summary of the tenant's latest KPIs to that role's dashboard room. */
    async publishDashboards(tenantId: string, roles: readonly Role[]) {
      const latest = await store.getLatestKpis(tenantId);
      for (const role of roles) {
        await realtime.publish(
          'dashboard:update',
          { kind: 'dashboard', tenantId, role },
          { ...summarize(tenantId, [role], latest), role },
        );
      }
    },

    async publishDashboard(summary: DashboardSummary) {
      return realtime.publish(
        'dashboard:update',
        { kind: 'dashboard', tenantId: summary.tenantId, role: summary.role },
        summary,
      );
    },

    async kpiSnapshot(viewer: Viewer, module: Module): Promise<KpiSnapshot> {
      if (!modulesForRoles(viewer.roles).includes(module)) {
        throw new ApiError('FORBIDDEN', `your roles may not see the ${module} module`);
      }
      // Position first: an update that lands in between is then both in the data and after the
      // position, which the client applies idempotently; the other order could lose it.
      const position = await realtime.position('kpi', { kind: 'module', tenantId: viewer.tenantId, module });
      const kpis = await store.getKpis(viewer.tenantId, module);
      return { tenantId: viewer.tenantId, module, kpis, position, asOf: new Date().toISOString() };
    },

    async dashboardSnapshot(viewer: Viewer): Promise<DashboardSnapshot> {
      const positions = await Promise.all(
        viewer.roles.map((role) =>
          realtime.position('dashboard', { kind: 'dashboard', tenantId: viewer.tenantId, role }),
        ),
      );
      const latest = await store.getLatestKpis(viewer.tenantId);
      return { ...summarize(viewer.tenantId, viewer.roles, latest), positions };
    },
  };
}

export type Services = ReturnType<typeof createServices>;
