import type {
  AlertAcknowledged,
  AlertDraft,
  Audience,
  Kpi,
  KpiWithHistory,
  Module,
  Notification,
  NotificationDraft,
  NotificationsPage,
  NotificationsRead,
  Principal,
  SystemAlert,
} from '@org/contracts';
import type { DriverKind } from './driver.js';

/** Who is asking: every read and write of the store is scoped to this tenant and user. */
export type Viewer = Pick<Principal, 'tenantId' | 'userId' | 'roles'>;

export interface StoreOptions {
  /** A PostgreSQL URL (`postgres://...`); when set, the store uses it instead of PGlite. */
  databaseUrl?: string;
  /** PGlite's data folder, or `memory://` (the default) for a database that lives with the store. */
  dataDir?: string;
  /**
   * PostgreSQL only: a schema to create and use instead of `public`, so that test runs sharing one
   * database stay independent.
   */
  schema?: string;
}

export interface CreateNotificationInput {
  tenantId: string;
  audience: Audience;
  draft: NotificationDraft;
  /** Defaults to a new ULID; an id already stored is a `CONFLICT`. */
  id?: string;
  /** Defaults to now. */
  createdAt?: Date;
}

export interface CreateAlertInput {
  /** null: a system-wide alert, visible to (and acknowledged separately by) every tenant. */
  tenantId: string | null;
  draft: AlertDraft;
  /** Defaults to a new ULID; an id already stored is a `CONFLICT`. */
  id?: string;
}

export interface NotificationsListQuery {
  /** `nextCursor` of the previous page; absent for the newest page. */
  cursor?: string;
  /** 1-100. */
  limit: number;
}

/**
 * Durable state of the three streams. A notification is visible to a viewer when it belongs to the
 * viewer's tenant and its audience is the viewer, one of the viewer's roles, or the whole tenant.
 * Every method throws `StoreError` (`INVALID_PAYLOAD`, `CONFLICT`, `UNAVAILABLE`, `INTERNAL`).
 */
export interface Store {
  readonly kind: DriverKind;
  /** Resolves when the database answers; throws `StoreError('UNAVAILABLE')` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createNotification(input: CreateNotificationInput): Promise<Notification>;
  /** Newest first, keyset pagination; `readAt` and `unreadCount` are the viewer's own. */
  listNotifications(viewer: Viewer, query: NotificationsListQuery): Promise<NotificationsPage>;
  unreadCount(viewer: Viewer): Promise<number>;
  /** null when the notification does not exist or is not visible to the viewer. Idempotent: keeps the first `readAt`. */
  markRead(viewer: Viewer, id: string): Promise<NotificationsRead | null>;
  /** Marks every notification visible to the viewer read; `ids` lists (up to 500 of) those that were unread. */
  markAllRead(viewer: Viewer): Promise<NotificationsRead>;

  createAlert(input: CreateAlertInput): Promise<SystemAlert>;
  /** The viewer's tenant's alerts and the system-wide ones, newest first, acknowledged as the viewer's tenant sees them. */
  listAlerts(viewer: Viewer, limit: number): Promise<SystemAlert[]>;
  /** null when the alert is not visible to the viewer's tenant. A second acknowledgement keeps the first. */
  acknowledgeAlert(viewer: Viewer, id: string): Promise<AlertAcknowledged | null>;

  /** Stores a batch of one module's KPIs in one statement; an update older than the stored value is ignored. */
  upsertKpis(tenantId: string, module: Module, kpis: Kpi[]): Promise<void>;
  /** The module's KPIs by key, each with its last `KPI_HISTORY_LENGTH` values, oldest first. */
  getKpis(tenantId: string, module: Module): Promise<KpiWithHistory[]>;
  /** The latest value of every KPI of the tenant, all modules, ordered by module and key. */
  getLatestKpis(tenantId: string): Promise<Kpi[]>;
}
