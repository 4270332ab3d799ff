import type { Module, Role, TenantId, UserId } from './domain.js';

/**
 * Room names are typed templates, every one but `system` scoped by tenant. Users are scoped by
 * tenant too: a user id is only unique within its tenant (it comes from that tenant's identity
 * provider), so `user:{userId}` alone could cross tenants.
 */
export type TenantRoom = `tenant:${TenantId}`;
export type UserRoom = `tenant:${TenantId}:user:${UserId}`;
export type RoleRoom = `tenant:${TenantId}:role:${Role}`;
export type ModuleRoom = `tenant:${TenantId}:module:${Module}`;
/**
 * Dashboard summaries are per role: a summary only holds the modules its role may see, so one
 * broadcast never shows a role figures the policy hides from it.
 */
export type DashboardRoom = `tenant:${TenantId}:dashboard:${Role}`;
/** The one room without a tenant: system-wide alerts only. */
export type SystemRoom = 'system';
export type RoomName = TenantRoom | UserRoom | RoleRoom | ModuleRoom | DashboardRoom | SystemRoom;

export const rooms = {
  tenant: (tenantId: TenantId): TenantRoom => `tenant:${tenantId}`,
  user: (tenantId: TenantId, userId: UserId): UserRoom => `tenant:${tenantId}:user:${userId}`,
  role: (tenantId: TenantId, role: Role): RoleRoom => `tenant:${tenantId}:role:${role}`,
  module: (tenantId: TenantId, module: Module): ModuleRoom => `tenant:${tenantId}:module:${module}`,
  dashboard: (tenantId: TenantId, role: Role): DashboardRoom => `tenant:${tenantId}:dashboard:${role}`,
  system: (): SystemRoom => 'system',
} as const;

export type ParsedRoom =
  | { kind: 'system' }
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'dashboard'; tenantId: string; role: string }
  | { kind: 'user'; tenantId: string; userId: string }
  | { kind: 'role'; tenantId: string; role: string }
  | { kind: 'module'; tenantId: string; module: string };

/** Parses a room name back to its parts; `undefined` for names that match no template. */
export function parseRoom(name: string): ParsedRoom | undefined {
  if (name === 'system') return { kind: 'system' };
  const parts = name.split(':');
  if (parts[0] !== 'tenant' || !parts[1]) return undefined;
  const tenantId = parts[1];
  if (parts.length === 2) return { kind: 'tenant', tenantId };
  if (parts.length !== 4 || !parts[3]) return undefined;
  const value = parts[3];
  switch (parts[2]) {
    case 'user':
      return { kind: 'user', tenantId, userId: value };
    case 'role':
      return { kind: 'role', tenantId, role: value };
    case 'module':
      return { kind: 'module', tenantId, module: value };
    case 'dashboard':
      return { kind: 'dashboard', tenantId, role: value };
    default:
      return undefined;
  }
}
