import type { KpiUpdate, Module } from '@org/contracts';

export const TENANT = 'bench-co';
export const MODULE: Module = 'lending';
export const JWT_SECRET = 'bench-only-secret-bench-only-secret-0123456789';

/** The modules the bench clients' role (UNDERWRITER) may subscribe to. */
const ROOM_MODULES: readonly Module[] = ['lending', 'risk'];

/**
 * Where room `index` of `rooms` is, the way the product routes: one room is the module room every
 * scenario used first; several are tenants × modules (two modules per tenant), each a module room.
 */
export function roomAt(index: number, rooms: number): { tenantId: string; module: Module; name: string } {
  const tenantId = rooms <= 1 ? TENANT : `bench-t${Math.floor(index / ROOM_MODULES.length)}`;
  const module = rooms <= 1 ? MODULE : (ROOM_MODULES[index % ROOM_MODULES.length] as Module);
  // Bare Socket.IO and the raw ws server use the full stack's name for the same room.
  return { tenantId, module, name: `tenant:${tenantId}:module:${module}` };
}

/**
 * A KPI update whose values are publish times (see clock.ts), so a client reads its latency from the
 * frame. `keys` KPIs per update (large payloads for the compression test), `offset` picks the keys.
 */
export function kpiUpdate(
  publishedAt: number,
  keys = 1,
  offset = 0,
  keySpace = 1,
  where: { tenantId: string; module: Module } = { tenantId: TENANT, module: MODULE },
): KpiUpdate {
  const updatedAt = new Date().toISOString();
  const kpis = [];
  for (let index = 0; index < keys; index += 1) {
    kpis.push({
      key: `kpi_${(offset + index) % Math.max(keySpace, keys)}`,
      module: where.module,
      label: 'Applications approved today (bench)',
      value: publishedAt,
      unit: 'count' as const,
      change: 0.0125,
      updatedAt,
    });
  }
  return { tenantId: where.tenantId, module: where.module, kpis };
}
