import { Module, type Role } from './domain.js';

/**
 * Which roles may see which KPI modules. The server enforces it on every subscription; the UI
 * uses it to decide which panels to show. ADMIN sees everything.
 */
export const moduleAccess = {
  ADMIN: Module.options,
  UNDERWRITER: ['lending', 'risk'],
  COLLECTION_AGENT: ['collections', 'payments'],
  FINANCE_MANAGER: ['payments', 'lending', 'collections', 'compliance'],
  RISK_ANALYST: ['risk', 'lending', 'compliance'],
  SUPPORT_AGENT: ['support', 'payments'],
} as const satisfies Record<Role, readonly Module[]>;

/** The modules a user with these roles may see, in catalog order. */
export function modulesForRoles(roles: readonly Role[]): Module[] {
  const allowed = new Set<Module>(roles.flatMap((role) => moduleAccess[role]));
  return Module.options.filter((module) => allowed.has(module));
}

export function canAccessModule(roles: readonly Role[], module: Module): boolean {
  return roles.some((role) => (moduleAccess[role] as readonly Module[]).includes(module));
}
