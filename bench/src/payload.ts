import type { KpiUpdate, Module } from '@org/contracts';

export const TENANT = 'bench-co';
export const MODULE: Module = 'lending';
/** The room bare Socket.IO and the load clients agree on (named like the full stack's module room). */
export const BARE_ROOM = `tenant:${TENANT}:module:${MODULE}`;
export const JWT_SECRET = 'bench-only-secret-bench-only-secret-0123456789';

/**
 * A KPI update whose values are publish times (see clock.ts), so a client reads its latency from the
 * frame. `keys` KPIs per update (large payloads for the compression test), `offset` picks the keys.
 */
export function kpiUpdate(publishedAt: number, keys = 1, offset = 0, keySpace = 1): KpiUpdate {
  const updatedAt = new Date().toISOString();
  const kpis = [];
  for (let index = 0; index < keys; index += 1) {
    kpis.push({
      key: `kpi_${(offset + index) % Math.max(keySpace, keys)}`,
      module: MODULE,
      label: 'Applications approved today (bench)',
      value: publishedAt,
      unit: 'count' as const,
      change: 0.0125,
      updatedAt,
    });
  }
  return { tenantId: TENANT, module: MODULE, kpis };
}
