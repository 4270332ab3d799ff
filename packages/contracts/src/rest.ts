import { z } from 'zod';
import { Module, Principal, TenantId } from './domain.js';
import {
  AlertDraft,
  Audience,
  DashboardSummary,
  Kpi,
  KpiUpdate,
  Notification,
  NotificationDraft,
  PresenceUpdate,
  SystemAlert,
} from './payloads.js';

// REST DTOs of the reference API. Query strings arrive as text, so their schemas coerce.

export const LoginRequest = z.object({
  username: z.string().min(1).max(120),
  password: z.string().min(1).max(200),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const UserProfile = Principal.extend({
  username: z.string(),
  displayName: z.string(),
  modules: z.array(Module),
});
export type UserProfile = z.infer<typeof UserProfile>;

export const LoginResponse = z.object({
  accessToken: z.string(),
  /** Epoch ms. */
  expiresAt: z.number().int(),
  user: UserProfile,
});
export type LoginResponse = z.infer<typeof LoginResponse>;

/** A demo account offered on the sign-in page while demo mode is on. */
export const DemoUser = z.object({
  username: z.string(),
  password: z.string(),
  displayName: z.string(),
  tenantId: TenantId,
  roles: z.array(Principal.shape.roles.element),
});
export type DemoUser = z.infer<typeof DemoUser>;
export const DemoUsersResponse = z.object({ users: z.array(DemoUser) });
export type DemoUsersResponse = z.infer<typeof DemoUsersResponse>;

/** Where a snapshot stands in its live stream: live events with `seq <= this` are already in it. */
export const StreamPosition = z.object({
  stream: z.string(),
  seq: z.number().int().nonnegative(),
});
export type StreamPosition = z.infer<typeof StreamPosition>;

export const KpiQuery = z.object({ module: Module });
export type KpiQuery = z.infer<typeof KpiQuery>;

export const KpiWithHistory = Kpi.extend({
  /** Recent values, oldest first, for a sparkline. */
  history: z.array(z.number().finite()).max(120),
});
export type KpiWithHistory = z.infer<typeof KpiWithHistory>;

export const KpiSnapshot = z.object({
  tenantId: TenantId,
  module: Module,
  kpis: z.array(KpiWithHistory),
  position: StreamPosition,
  asOf: z.iso.datetime({ offset: true }),
});
export type KpiSnapshot = z.infer<typeof KpiSnapshot>;

/** The viewer's summary: the union of its roles' modules, with the position of each role's stream. */
export const DashboardSnapshot = DashboardSummary.omit({ role: true }).extend({ positions: z.array(StreamPosition) });
export type DashboardSnapshot = z.infer<typeof DashboardSnapshot>;

export const NotificationsQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type NotificationsQuery = z.infer<typeof NotificationsQuery>;

export const NotificationsPage = z.object({
  items: z.array(Notification),
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
  unreadCount: z.number().int().nonnegative(),
});
export type NotificationsPage = z.infer<typeof NotificationsPage>;

export const UnreadCountResponse = z.object({ unreadCount: z.number().int().nonnegative() });
export type UnreadCountResponse = z.infer<typeof UnreadCountResponse>;

export const AlertsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
export type AlertsQuery = z.infer<typeof AlertsQuery>;

export const AlertsResponse = z.object({ items: z.array(SystemAlert) });
export type AlertsResponse = z.infer<typeof AlertsResponse>;

/**
 * `POST /api/events`: another service publishes a contract event. The target follows from the data
 * (a KPI update goes to its module room, a notification to its audience, an alert to its tenant or,
 * with `tenantId: null`, to everyone), so a body cannot name a target its data does not belong to.
 */
export const PublishEventRequest = z.discriminatedUnion('event', [
  z.object({ event: z.literal('kpi:update'), data: KpiUpdate }),
  z.object({ event: z.literal('dashboard:update'), data: DashboardSummary }),
  z.object({
    event: z.literal('notification:new'),
    tenantId: TenantId,
    audience: Audience,
    data: NotificationDraft,
  }),
  z.object({ event: z.literal('alert:new'), tenantId: TenantId.nullable(), data: AlertDraft }),
]);
export type PublishEventRequest = z.infer<typeof PublishEventRequest>;

/**
 * Header of `POST /api/events` naming one publish of a notification or an alert: a retry with the
 * same key (same event and tenant), after a lost response say, stores and sends it once and
 * answers with the same id. Keys are the caller's (a UUID per event is enough).
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, 'idempotency keys are 1-200 visible ASCII characters');

export const PublishEventResponse = z.object({
  event: z.string(),
  /** The id of the stored notification or alert, when the event was persisted. */
  id: z.string().nullable(),
  position: StreamPosition,
});
export type PublishEventResponse = z.infer<typeof PublishEventResponse>;

/**
 * `GET /api/realtime/stats`. For a tenant's admin, `perTenant` and `perRole` cover that tenant
 * only; `connections`, `uniqueUsers`, `rooms`, events and rejections are the node's totals.
 */
export const RealtimeStats = z.object({
  connections: z.number().int().nonnegative(),
  uniqueUsers: z.number().int().nonnegative(),
  perTenant: z.record(z.string(), z.number().int().nonnegative()),
  /** Connections per role (a connection counts once for each role of its user). */
  perRole: z.record(z.string(), z.number().int().nonnegative()),
  rooms: z.number().int().nonnegative(),
  eventsIn: z.number().int().nonnegative(),
  eventsOut: z.number().int().nonnegative(),
  rejections: z.record(z.string(), z.number().int().nonnegative()),
});
export type RealtimeStats = z.infer<typeof RealtimeStats>;

/** `GET /api/realtime/presence`: who is online in the admin's tenant now; `presence:update` follows. */
export const PresenceResponse = PresenceUpdate;
export type PresenceResponse = z.infer<typeof PresenceResponse>;

export const HealthResponse = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  checks: z.record(z.string(), z.enum(['ok', 'down'])).optional(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
