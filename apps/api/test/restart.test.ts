import { request as httpRequest } from 'node:http';
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

  it('answers a publish in flight when shutdown starts, so that its caller has no reason to retry it', async () => {
    const first = await startApi();
    const dir = first.dataDir;
    const body = JSON.stringify({
      event: 'notification:new',
      tenantId: 'acme-lending',
      audience: { kind: 'role', role: 'RISK_ANALYST' },
      data: { severity: 'info', title: 'in flight at shutdown', body: '' },
    });
    const { hostname, port } = new URL(first.url);
    let closing: Promise<void> | undefined;
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          hostname,
          port,
          method: 'POST',
          path: '/api/events',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-service-key': SERVICE_KEY,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      // Headers and half the body are in; shutdown starts; then the rest of the body arrives.
      req.write(body.slice(0, 20), () => {
        setTimeout(() => {
          closing = first.close();
          setTimeout(() => req.end(body.slice(20)), 100);
        }, 50);
      });
    });
    await closing;
    expect(answer.status).toBe(202);
    const { id } = PublishEventResponse.parse(JSON.parse(answer.text));

    const second = await startApi({}, dir);
    try {
      const viewer = await login(second, 'risk@acme-lending');
      const page = NotificationsPage.parse(
        (await request(second, 'GET', '/api/notifications', { token: viewer.accessToken })).body,
      );
      expect(page.items.map((n) => n.id)).toContain(id);
    } finally {
      await second.close();
      removeDir(dir);
    }
  });
});
