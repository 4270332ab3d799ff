import { z } from 'zod';

/** Who a user is in an organisation. Claims in the JWT carry one or more. */
export const Role = z.enum([
  'ADMIN',
  'UNDERWRITER',
  'COLLECTION_AGENT',
  'FINANCE_MANAGER',
  'RISK_ANALYST',
  'SUPPORT_AGENT',
]);
export type Role = z.infer<typeof Role>;

/** Functional areas of a lending / payments operation; each has its own KPI stream. */
export const Module = z.enum(['lending', 'payments', 'collections', 'risk', 'compliance', 'support']);
export type Module = z.infer<typeof Module>;

// Ids never contain ':' so that room names built from them parse back unambiguously.
/** An organisation. Lower-case slug, e.g. `acme-lending`. */
export const TenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'tenant ids are lower-case slugs of 1-63 characters');
export type TenantId = z.infer<typeof TenantId>;

/** A user, unique within a tenant. */
export const UserId = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{1,128}$/, 'user ids are 1-128 characters of A-Z a-z 0-9 _ . @ -');
export type UserId = z.infer<typeof UserId>;

/** Server-made ids for events, notifications and alerts. */
export const EntityId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1-64 characters of A-Z a-z 0-9 _ -');
export type EntityId = z.infer<typeof EntityId>;

export const Timestamp = z.iso.datetime({ offset: true });
export type Timestamp = z.infer<typeof Timestamp>;

export const Severity = z.enum(['info', 'success', 'warning', 'error', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** The authenticated identity a token carries, as the server and the UI see it. */
export const Principal = z.object({
  userId: UserId,
  tenantId: TenantId,
  roles: z.array(Role).min(1).max(Role.options.length),
  name: z.string().min(1).max(120).optional(),
});
export type Principal = z.infer<typeof Principal>;
