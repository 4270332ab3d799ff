import { z } from 'zod';
import { EntityId, Module, Role, Severity, TenantId, Timestamp, UserId } from './domain.js';

// ---------------------------------------------------------------- KPIs

export const KpiUnit = z.enum(['count', 'currency', 'percent', 'duration_ms', 'ratio']);
export type KpiUnit = z.infer<typeof KpiUnit>;

export const KpiKey = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'KPI keys are snake_case, 1-64 characters');

/** One indicator's current value. Self-describing, so a client needs no separate KPI catalog. */
export const Kpi = z.object({
  key: KpiKey,
  module: Module,
  label: z.string().min(1).max(80),
  value: z.number().finite(),
  unit: KpiUnit,
  /** ISO 4217 code, for `unit: 'currency'`. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  /** Relative change against the previous value (0.05 = +5 %); null when there is none. */
  change: z.number().finite().nullable(),
  updatedAt: Timestamp,
});
export type Kpi = z.infer<typeof Kpi>;

/** Live: new values for some KPIs of one module (latest value per KPI wins). */
export const KpiUpdate = z.object({
  tenantId: TenantId,
  module: Module,
  kpis: z.array(Kpi).min(1).max(100),
});
export type KpiUpdate = z.infer<typeof KpiUpdate>;

export const DashboardSummary = z.object({
  tenantId: TenantId,
  /** The role this summary was made for; a user with several roles merges cards by KPI key. */
  role: Role,
  /** One headline figure per module the viewer may see. */
  cards: z.array(Kpi).max(24),
  /** The indicators that moved most recently. */
  topKpis: z.array(Kpi).max(24),
  updatedAt: Timestamp,
});
export type DashboardSummary = z.infer<typeof DashboardSummary>;

// ---------------------------------------------------------------- notifications

const Money = z.object({
  amount: z.number().finite().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/),
});

/** The role-specific work items that arrive as notifications, typed per kind. */
export const Activity = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('loan_application'),
    applicationId: EntityId,
    applicant: z.string().min(1).max(120),
    product: z.string().min(1).max(60),
    requested: Money,
  }),
  z.object({
    type: z.literal('collection_alert'),
    accountId: EntityId,
    borrower: z.string().min(1).max(120),
    daysPastDue: z.number().int().nonnegative(),
    amountDue: Money,
  }),
  z.object({
    type: z.literal('compliance_alert'),
    rule: z.string().min(1).max(120),
    entity: z.string().min(1).max(120),
  }),
  z.object({
    type: z.literal('risk_alert'),
    entity: z.string().min(1).max(120),
    score: z.number().min(0).max(1000),
    reason: z.string().min(1).max(240),
  }),
  z.object({
    type: z.literal('ticket_assigned'),
    ticketId: EntityId,
    subject: z.string().min(1).max(200),
    priority: z.enum(['low', 'normal', 'high', 'urgent']),
  }),
]);
export type Activity = z.infer<typeof Activity>;
export type ActivityType = Activity['type'];

/** Who a notification is for, inside its tenant. */
export const Audience = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), userId: UserId }),
  z.object({ kind: z.literal('role'), role: Role }),
  z.object({ kind: z.literal('tenant') }),
]);
export type Audience = z.infer<typeof Audience>;

/** A link a notification offers; same-origin paths or https URLs only. */
export const NotificationAction = z.object({
  label: z.string().min(1).max(40),
  href: z
    .string()
    .max(2000)
    .regex(/^(\/(?!\/)|https:\/\/)/, 'links are same-origin paths or https URLs'),
});

export const Notification = z.object({
  id: EntityId,
  tenantId: TenantId,
  audience: Audience,
  severity: Severity,
  title: z.string().min(1).max(140),
  body: z.string().max(1000),
  activity: Activity.optional(),
  action: NotificationAction.optional(),
  createdAt: Timestamp,
  /** When the receiving user read it; null while unread. */
  readAt: Timestamp.nullable(),
});
export type Notification = z.infer<typeof Notification>;

/** What a publisher supplies; the server assigns id, tenant, timestamps and read state. */
export const NotificationDraft = Notification.pick({
  severity: true,
  title: true,
  body: true,
  activity: true,
  action: true,
});
export type NotificationDraft = z.infer<typeof NotificationDraft>;

/** Live: some or all of a user's notifications were read (possibly on another device). */
export const NotificationsRead = z.object({
  ids: z.array(EntityId).max(500),
  /** True when every notification up to `readAt` was marked read at once. */
  all: z.boolean(),
  readAt: Timestamp,
  unreadCount: z.number().int().nonnegative(),
});
export type NotificationsRead = z.infer<typeof NotificationsRead>;

// ---------------------------------------------------------------- system alerts

export const AlertSeverity = z.enum(['info', 'warning', 'critical']);
export type AlertSeverity = z.infer<typeof AlertSeverity>;

export const AlertCategory = z.enum(['infrastructure', 'security', 'payments', 'risk', 'compliance', 'collections']);
export type AlertCategory = z.infer<typeof AlertCategory>;

export const SystemAlert = z.object({
  id: EntityId,
  /** null for a system-wide alert, the only kind of event that crosses tenants. */
  tenantId: TenantId.nullable(),
  severity: AlertSeverity,
  category: AlertCategory,
  title: z.string().min(1).max(140),
  message: z.string().max(1000),
  module: Module.optional(),
  createdAt: Timestamp,
  acknowledgedAt: Timestamp.nullable(),
  acknowledgedBy: UserId.nullable(),
});
export type SystemAlert = z.infer<typeof SystemAlert>;

export const AlertDraft = SystemAlert.pick({
  severity: true,
  category: true,
  title: true,
  message: true,
  module: true,
});
export type AlertDraft = z.infer<typeof AlertDraft>;

export const AlertAcknowledged = z.object({
  id: EntityId,
  acknowledgedAt: Timestamp,
  acknowledgedBy: UserId,
});
export type AlertAcknowledged = z.infer<typeof AlertAcknowledged>;

// ---------------------------------------------------------------- session and presence

export const SessionReady = z.object({
  protocolVersion: z.number().int().positive(),
  serverTime: z.number().int().nonnegative(),
  userId: UserId,
  tenantId: TenantId,
  roles: z.array(Role).min(1),
  /** The KPI modules this user may subscribe to. */
  modules: z.array(Module),
  /** When the server will end this session unless the client reconnects with a fresh token. */
  expiresAt: z.number().int().nonnegative().nullable(),
});
export type SessionReady = z.infer<typeof SessionReady>;

/** The server cannot replay a stream; the client must refetch it over REST. */
export const StreamResync = z.object({
  stream: z.string().min(1).max(200),
  reason: z.enum(['gap', 'expired', 'unknown_stream']),
});
export type StreamResync = z.infer<typeof StreamResync>;

export const PresenceUser = z.object({
  userId: UserId,
  roles: z.array(Role),
  connections: z.number().int().positive(),
  since: Timestamp,
});

/** Who is online in a tenant (users, not sockets); sent to the tenant's admins as it changes. */
export const PresenceUpdate = z.object({
  tenantId: TenantId,
  online: z.array(PresenceUser),
});
export type PresenceUpdate = z.infer<typeof PresenceUpdate>;
