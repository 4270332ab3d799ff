import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kpi } from '@org/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from './store.js';
import type { Viewer } from './types.js';

describe('store on PGlite in a data folder', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'store-restart-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps unread notifications, read state, acknowledgements and KPIs across a restart', async () => {
    const tenant = 'acme-lending';
    const uma: Viewer = { tenantId: tenant, userId: 'uma', roles: ['UNDERWRITER'] };
    const ada: Viewer = { tenantId: tenant, userId: 'ada', roles: ['ADMIN'] };
    const at = new Date('2026-06-01T08:00:00.000Z');
    const kpis = (value: number, seconds: number): Kpi[] => [
      {
        key: 'approval_rate',
        module: 'lending',
        label: 'Approval rate',
        value,
        unit: 'percent',
        change: null,
        updatedAt: new Date(at.getTime() + seconds * 1000).toISOString(),
      },
    ];

    const before = await createStore({ dataDir });
    expect(before.kind).toBe('pglite');
    const read = await before.createNotification({
      tenantId: tenant,
      audience: { kind: 'role', role: 'UNDERWRITER' },
      draft: { severity: 'info', title: 'Read before the restart', body: '' },
    });
    const unread = await before.createNotification({
      tenantId: tenant,
      audience: { kind: 'tenant' },
      draft: { severity: 'warning', title: 'Still unread', body: '' },
    });
    const readMark = await before.markRead(uma, read.id);
    const alert = await before.createAlert({
      tenantId: null,
      draft: { severity: 'critical', category: 'payments', title: 'Card network down', message: '' },
    });
    const ack = await before.acknowledgeAlert(ada, alert.id);
    await before.upsertKpis(tenant, 'lending', kpis(0.61, 0));
    await before.upsertKpis(tenant, 'lending', kpis(0.63, 1));
    const pageBefore = await before.listNotifications(uma, { limit: 10 });
    const kpisBefore = await before.getKpis(tenant, 'lending');
    await before.close();

    const after = await createStore({ dataDir });
    try {
      const pageAfter = await after.listNotifications(uma, { limit: 10 });
      expect(pageAfter).toEqual(pageBefore);
      expect(pageAfter.unreadCount).toBe(1);
      expect(pageAfter.items.find((item) => item.id === unread.id)?.readAt).toBeNull();
      expect(pageAfter.items.find((item) => item.id === read.id)?.readAt).toBe(readMark?.readAt);
      expect(await after.unreadCount(ada)).toBe(1);

      const [alertAfter] = await after.listAlerts(ada, 10);
      expect(alertAfter).toMatchObject({ id: alert.id, acknowledgedAt: ack?.acknowledgedAt, acknowledgedBy: 'ada' });
      expect(await after.acknowledgeAlert(uma, alert.id)).toEqual(ack);

      expect(await after.getKpis(tenant, 'lending')).toEqual(kpisBefore);
      expect(kpisBefore[0]?.history).toEqual([0.61, 0.63]);

      // The migrations are recorded: the reopened store did not try to create its tables again.
      await after.upsertKpis(tenant, 'lending', kpis(0.64, 2));
      expect((await after.getKpis(tenant, 'lending'))[0]?.history).toEqual([0.61, 0.63, 0.64]);
    } finally {
      await after.close();
    }
  });
});
