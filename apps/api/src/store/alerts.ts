import type { AlertAcknowledged, SystemAlert } from '@org/contracts';
import { AlertDraft as AlertDraftSchema, EntityId, TenantId } from '@org/contracts';
import { z } from 'zod';
import type { SqlDriver } from './driver.js';
import { StoreError } from './errors.js';
import type { CreateAlertInput, Store, Viewer } from './types.js';
import { newId, toIso, toIsoOrNull } from './values.js';

type AlertMethods = Pick<Store, 'createAlert' | 'listAlerts' | 'acknowledgeAlert'>;

interface AlertRow {
  id: string;
  tenant_id: string | null;
  severity: SystemAlert['severity'];
  category: SystemAlert['category'];
  title: string;
  message: string;
  module: SystemAlert['module'] | null;
  created_at: Date | string;
  acknowledged_at: Date | string | null;
  acknowledged_by: string | null;
}

const CreateInput = z.object({ tenantId: TenantId.nullable(), draft: AlertDraftSchema, id: EntityId.optional() });
const LIST_LIMIT_MAX = 100;

function toAlert(row: AlertRow): SystemAlert {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    severity: row.severity,
    category: row.category,
    title: row.title,
    message: row.message,
    ...(row.module ? { module: row.module } : {}),
    createdAt: toIso(row.created_at),
    acknowledgedAt: toIsoOrNull(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
  };
}

export function alertMethods(driver: SqlDriver): AlertMethods {
  return {
    async createAlert(input: CreateAlertInput) {
      const parsed = CreateInput.safeParse(input);
      if (!parsed.success) throw StoreError.invalid('invalid alert', parsed.error);
      const { tenantId, draft } = parsed.data;
      const id = parsed.data.id ?? newId();
      const rows = await driver.query<AlertRow>(
        `INSERT INTO alerts (id, tenant_id, severity, category, title, message, module, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz)
         RETURNING *, NULL::timestamptz AS acknowledged_at, NULL::text AS acknowledged_by`,
        [
          id,
          tenantId,
          draft.severity,
          draft.category,
          draft.title,
          draft.message,
          draft.module ?? null,
          new Date().toISOString(),
        ],
      );
      const row = rows[0];
      if (!row) throw new StoreError('INTERNAL', 'the insert returned no row');
      return toAlert(row);
    },

    async listAlerts(viewer: Viewer, limit: number) {
      if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) {
        throw StoreError.invalid(`limit must be an integer from 1 to ${LIST_LIMIT_MAX}`);
      }
      // Two index range scans (the tenant's, the system-wide), each already limited, then merged.
      const rows = await driver.query<AlertRow>(
        `SELECT a.*, k.acknowledged_at, k.acknowledged_by
           FROM ((SELECT * FROM alerts WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)
                 UNION ALL
                 (SELECT * FROM alerts WHERE tenant_id IS NULL ORDER BY created_at DESC, id DESC LIMIT $2)) a
           LEFT JOIN alert_acks k ON k.alert_id = a.id AND k.tenant_id = $1
          ORDER BY a.created_at DESC, a.id DESC
          LIMIT $2`,
        [viewer.tenantId, limit],
      );
      return rows.map(toAlert);
    },

    async acknowledgeAlert(viewer: Viewer, id: string): Promise<AlertAcknowledged | null> {
      if (!EntityId.safeParse(id).success) return null;
      // Inserts only when the alert is visible to the tenant; on a second acknowledgement the no-op
      // update returns the first one.
      const rows = await driver.query<{ acknowledged_at: Date | string; acknowledged_by: string }>(
        `INSERT INTO alert_acks (alert_id, tenant_id, acknowledged_by, acknowledged_at)
         SELECT a.id, $2, $3, $4::timestamptz FROM alerts a
          WHERE a.id = $1 AND (a.tenant_id = $2 OR a.tenant_id IS NULL)
         ON CONFLICT (alert_id, tenant_id) DO UPDATE SET acknowledged_at = alert_acks.acknowledged_at
         RETURNING acknowledged_at, acknowledged_by`,
        [id, viewer.tenantId, viewer.userId, new Date().toISOString()],
      );
      const row = rows[0];
      if (!row) return null;
      return { id, acknowledgedAt: toIso(row.acknowledged_at), acknowledgedBy: row.acknowledged_by };
    },
  };
}
