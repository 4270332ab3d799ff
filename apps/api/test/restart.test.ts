import { AlertsResponse, NotificationsPage, PublishEventResponse } from '@org/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { login, removeDir, request, SERVICE_KEY, startApi } from './harness.js';

describe('a restart', () => {
  let dataDir: string | undefined;
  afterAll(() => {
    if (dataDir) removeDir(dataDir);
  });

  it('keeps unread notifications, read state, acknowledgements and KPIs', async () => {
    const first = await startApi();
    dataDir = first.dataDir;
    await first.simulator.tick();
    const headers = { 'x-service-key': SERVICE_KEY };
    const publish = (title: string) =>
      request(first, 'POST', '/api/events', {
        headers,
        body: {
          event: 'notification:new',
          tenantId: 'acme-lending',
          audience: { kind: 'role', role: 'RISK_ANALYST' },
          data: { severity: 'info', title, body: '' },
        },
      }).then((r) => PublishEventResponse.parse(r.body).id);
    const readId = await publish('read before restart');
    const unreadId = await publish('unread across restart');
    const alertId = PublishEventResponse.parse(
      (
        await request(first, 'POST', '/api/events', {
          headers,
          body: {
            event: 'alert:new',
            tenantId: 'acme-lending',
            data: { severity: 'warning', category: 'risk', title: 'Drift', message: '' },
          },
        })
      ).body,
    ).id;
    const session = await login(first, 'risk@acme-lending');
    await request(first, 'POST', `/api/notifications/${readId}/read`, { token: session.accessToken });
    await request(first, 'POST', `/api/alerts/${alertId}/ack`, { token: session.accessToken });
    const kpisBefore = (await request(first, 'GET', '/api/kpis?module=risk', { token: session.accessToken })).body as {
      kpis: { key: string; value: number }[];
    };
    await first.close();

    const second = await startApi({}, dataDir);
    try {
      const again = await login(second, 'risk@acme-lending');
      const page = NotificationsPage.parse(
        (await request(second, 'GET', '/api/notifications', { token: again.accessToken })).body,
      );
      expect(page.items.find((n) => n.id === unreadId)?.readAt).toBeNull();
      expect(page.items.find((n) => n.id === readId)?.readAt).not.toBeNull();
      expect(page.unreadCount).toBeGreaterThanOrEqual(1);
      const alerts = AlertsResponse.parse(
        (await request(second, 'GET', '/api/alerts', { token: again.accessToken })).body,
      );
      expect(alerts.items.find((a) => a.id === alertId)?.acknowledgedAt).not.toBeNull();
      const kpisAfter = (await request(second, 'GET', '/api/kpis?module=risk', { token: again.accessToken })).body as {
        kpis: { key: string; value: number }[];
      };
      expect(kpisAfter.kpis.map((k) => [k.key, k.value])).toEqual(kpisBefore.kpis.map((k) => [k.key, k.value]));
    } finally {
      await second.close();
    }
  });
});
