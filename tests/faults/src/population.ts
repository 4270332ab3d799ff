import { type Module, moduleAccess, type Role, Role as RoleSchema } from '@org/contracts';
import type { Identity } from './tokens.js';

export const ROLES: Role[] = [...RoleSchema.options];

export const tenantIds = (count: number) => Array.from({ length: count }, (_, i) => `fault-tenant-${i}`);

/** Client i: tenant i % tenants, role i % roles, its own user id, and the first module the role may see. */
export function population(count: number, tenants: string[], prefix = 'u'): Array<Identity & { module: Module }> {
  return Array.from({ length: count }, (_, i) => {
    const role = ROLES[i % ROLES.length] as Role;
    const tenantId = tenants[Math.floor(i / ROLES.length) % tenants.length] as string;
    return { userId: `${prefix}${i}`, tenantId, roles: [role], module: moduleAccess[role][0] as Module };
  });
}

/** Share of events in the busiest one-second bucket. */
export function busiestSecondShare(times: number[]): {
  buckets: number;
  busiest: number;
  share: number;
  spreadMs: number;
} {
  if (times.length === 0) return { buckets: 0, busiest: 0, share: 0, spreadMs: 0 };
  const start = Math.min(...times);
  const counts = new Map<number, number>();
  for (const time of times) {
    const bucket = Math.floor((time - start) / 1000);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const busiest = Math.max(...counts.values());
  return { buckets: counts.size, busiest, share: busiest / times.length, spreadMs: Math.max(...times) - start };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
