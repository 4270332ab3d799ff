import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess } from '../src/apiProcess.js';
import { SERVICE_KEY, sleep, waitFor } from '../src/env.js';
import { recordFigures } from '../src/figures.js';
import { errorCodeOf, fetchAllNotifications, http, notificationBody } from '../src/http.js';
import { loopbackAddress } from '../src/net.js';
import { PostgresServer } from '../src/postgres.js';
import { StreamClient } from '../src/streamClient.js';
import { mintToken } from '../src/tokens.js';

const viewer = { userId: 'db-viewer', tenantId: 'fault-db', roles: ['RISK_ANALYST' as const] };

describe('database unavailable (real PostgreSQL, stopped and started again)', () => {
  const pg = new PostgresServer();
  let api: ApiProcess;
  let client: StreamClient;
  let token: string;

  beforeAll(async () => {
    await pg.init();
    pg.start();
    api = new ApiProcess({ name: 'db-api', env: { DATABASE_URL: pg.url } });
    await api.start();
    token = await mintToken(viewer);
    client = new StreamClient({
      url: api.url,
      identity: viewer,
      token,
      localAddress: loopbackAddress(500),
      reconnection: false,
    });
    await client.ready();
  });

  afterAll(async () => {
    client?.close();
    await api?.dispose();
    pg.dispose();
  });

  const publish = (title: string) =>
    http(api.url, 'POST', '/api/events', {
      headers: { 'x-service-key': SERVICE_KEY },
      body: notificationBody(viewer.tenantId, { kind: 'user', userId: viewer.userId }, title),
    });
  const markRead = (id: string) => http(api.url, 'POST', `/api/notifications/${id}/read`, { token });

  it('answers 503 UNAVAILABLE, writes nothing half-way, and recovers without a restart', async () => {
    const before = await publish('before the outage');
    expect(before.status).toBe(202);
    const beforeId = (before.body as { id: string }).id;
    await waitFor(() => client.notifications.has(beforeId), 'live delivery before the outage');

    pg.stop('immediate');
    const stoppedAt = Date.now();
    const outage = {
      publish: [] as Array<[number, string | undefined]>,
      markRead: [] as Array<[number, string | undefined]>,
      readAll: [] as Array<[number, string | undefined]>,
    };
    for (let i = 0; i < 5; i += 1) {
      const p = await publish(`during the outage ${i}`);
      outage.publish.push([p.status, errorCodeOf(p.body)]);
      const m = await markRead(beforeId);
      outage.markRead.push([m.status, errorCodeOf(m.body)]);
      const all = await http(api.url, 'POST', '/api/notifications/read-all', { token });
      outage.readAll.push([all.status, errorCodeOf(all.body)]);
    }
    const socketMarkRead = (await client.socket
      .timeout(10_000)
      .emitWithAck('notification:markRead', { id: beforeId })) as {
      ok: boolean;
      error?: { code: string };
    };
    const readyz = await http(api.url, 'GET', '/readyz');
    const healthz = await http(api.url, 'GET', '/healthz');
    await sleep(500);
    const deliveredDuringOutage = [...client.notifications.keys()].filter((id) => id !== beforeId).length;

    pg.start();
    const restartedAt = Date.now();
    // No API restart: the pool reconnects by itself (bounded wait).
    const after = await waitFor(
      async () => {
        const result = await publish('after the outage');
        return result.status === 202 ? result : undefined;
      },
      'publish to work again',
      30_000,
      250,
    );
    const recoveredMs = Date.now() - restartedAt;
    const afterId = (after.body as { id: string }).id;
    await waitFor(() => client.notifications.has(afterId), 'live delivery after recovery');
    const stored = await fetchAllNotifications(api.url, token);
    const page = (await http(api.url, 'GET', '/api/notifications?limit=100', { token })).body as {
      items: { id: string; title: string; readAt: string | null }[];
    };
    const readAfter = await markRead(afterId);

    recordFigures('4 database down', {
      outageMs: restartedAt - stoppedAt,
      publishDuringOutage: outage.publish.map(([s, c]) => `${s}:${c}`).join(' '),
      markReadDuringOutage: `${outage.markRead[0]?.[0]}:${outage.markRead[0]?.[1]}`,
      socketMarkRead: socketMarkRead.ok ? 'ok' : (socketMarkRead.error?.code ?? '?'),
      readyzDuringOutage: readyz.status,
      halfWritten: stored.length - 2,
      recoveredMsWithoutRestart: recoveredMs,
      crashes: api.crashes.length,
    });
    expect(outage.publish.every(([status, code]) => status === 503 && code === 'UNAVAILABLE')).toBe(true);
    expect(outage.markRead.every(([status, code]) => status === 503 && code === 'UNAVAILABLE')).toBe(true);
    expect(outage.readAll.every(([status, code]) => status === 503 && code === 'UNAVAILABLE')).toBe(true);
    expect(readyz.status).toBe(503);
    expect(healthz.status).toBe(200);
    // Nothing half-written: no outage notification was stored or delivered, and the mark-read did not stick.
    expect(deliveredDuringOutage).toBe(0);
    expect(stored.sort()).toEqual([beforeId, afterId].sort());
    expect(page.items.find((item) => item.id === beforeId)?.readAt).toBeNull();
    expect(readAfter.status).toBe(200);
    expect(api.crashes).toEqual([]);
    // The socket request says the same as REST (a typed UNAVAILABLE, not an internal error).
    expect(socketMarkRead).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  });
});
