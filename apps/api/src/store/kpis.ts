import type { Kpi, KpiWithHistory, Module } from '@org/contracts';
import { KpiUpdate } from '@org/contracts';
import type { SqlDriver } from './driver.js';
import { StoreError } from './errors.js';
import type { Store } from './types.js';
import { toIso } from './values.js';

type KpiMethods = Pick<Store, 'upsertKpis' | 'getKpis' | 'getLatestKpis'>;

/** How many recent values each KPI keeps for its sparkline (the contract allows up to 120). */
export const KPI_HISTORY_LENGTH = 60;

interface KpiRow {
  key: string;
  module: Module;
  label: string;
  value: number;
  unit: Kpi['unit'];
  currency: string | null;
  change: number | null;
  updated_at: Date | string;
}

function toKpi(row: KpiRow): Kpi {
  return {
    key: row.key,
    module: row.module,
    label: row.label,
    value: row.value,
    unit: row.unit,
    ...(row.currency ? { currency: row.currency } : {}),
    change: row.change,
    updatedAt: toIso(row.updated_at),
  };
}

const KPI_COLUMNS = 'key, module, label, value, unit, currency, change, updated_at';

export function kpiMethods(driver: SqlDriver): KpiMethods {
  return {
    async upsertKpis(tenantId: string, module: Module, kpis: Kpi[]) {
      if (kpis.length === 0) return;
      const parsed = KpiUpdate.safeParse({ tenantId, module, kpis });
      if (!parsed.success) throw StoreError.invalid('invalid KPI update', parsed.error);
      // One row per key, the newest value wins; a statement may not touch a row twice.
      const latest = new Map<string, Kpi>();
      for (const kpi of parsed.data.kpis) {
        if (kpi.module !== module) throw StoreError.invalid(`KPI ${kpi.key} belongs to ${kpi.module}, not ${module}`);
        const seen = latest.get(kpi.key);
        if (!seen || Date.parse(seen.updatedAt) <= Date.parse(kpi.updatedAt)) latest.set(kpi.key, kpi);
      }
      // The hot path (every second per tenant and module): the whole batch is one statement, so it
      // is atomic on its own and costs one round trip. The history is appended and cut to its bound
      // in the same row update. An update older than the stored one is skipped, history included.
      await driver.query(
        `INSERT INTO kpis AS k (tenant_id, module, key, label, value, unit, currency, change, updated_at, history)
         SELECT $1, $2, b.key, b.label, b.value, b.unit, b.currency, b.change, b."updatedAt", ARRAY[b.value]
           FROM jsonb_to_recordset($3::text::jsonb) AS b(
             key text, label text, value double precision, unit text, currency text,
             change double precision, "updatedAt" timestamptz)
         ON CONFLICT (tenant_id, module, key) DO UPDATE SET
           label = EXCLUDED.label,
           value = EXCLUDED.value,
           unit = EXCLUDED.unit,
           currency = EXCLUDED.currency,
           change = EXCLUDED.change,
           updated_at = EXCLUDED.updated_at,
           history = (k.history || EXCLUDED.value)[greatest(cardinality(k.history) + 2 - $4::int, 1):]
         WHERE k.updated_at <= EXCLUDED.updated_at`,
        [tenantId, module, JSON.stringify([...latest.values()]), KPI_HISTORY_LENGTH],
      );
    },

    async getKpis(tenantId: string, module: Module): Promise<KpiWithHistory[]> {
      const rows = await driver.query<KpiRow & { history: number[] }>(
        `SELECT ${KPI_COLUMNS}, history FROM kpis WHERE tenant_id = $1 AND module = $2 ORDER BY key`,
        [tenantId, module],
      );
      return rows.map((row) => ({ ...toKpi(row), history: row.history.map(Number) }));
    },

    async getLatestKpis(tenantId: string) {
      const rows = await driver.query<KpiRow>(
        `SELECT ${KPI_COLUMNS} FROM kpis WHERE tenant_id = $1 ORDER BY module, key`,
        [tenantId],
      );
      return rows.map(toKpi);
    },
  };
}
