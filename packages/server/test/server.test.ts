import { rooms, streamName } from '@org/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeError } from '../src/index.js';
import {
  collect,
  connectAs,
  Disposer,
  disconnected,
  kpi,
  nextEvent,
  rawRequest,
  request,
  roundTrip,
  startServer,
  uniqueId,
} from './helpers.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

describe('connection', () => {
  it('sends session:ready in a session envelope and joins the user, tenant, role and system rooms', async () => {
    const { url, realtime } = await startServer(disposer);
    const tenantId = uniqueId('t');
    const { socket, ready } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    expect(ready).toMatchObject({ stream: 'session', seq: 0 });
    expect(ready.data).toMatchObject({
      userId: 'ann',
      tenantId,
      roles: ['UNDERWRITER'],
      modules: ['lending', 'risk'],
      protocolVersion: 1,
    });
    expect(ready.data.expiresAt).toBeGreaterThan(Date.now());

    const serverSocket = realtime.io.of('/').sockets.get(socket.id ?? '');
    expect([...(serverSocket?.rooms ?? [])].sort()).toEqual(
      [
        socket.id,
        rooms.user(tenantId, 'ann'),
        rooms.tenant(tenantId),
        rooms.role(tenantId, 'UNDERWRITER'),
        'system',
      ].sort(),
    );
  });

  it('answers ping with the client time and the server time', async () => {
    const { url } = await startServer(disposer);
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    const ack = await request(socket, 'ping', { clientTime: 1234 });
    expect(ack).toEqual({ ok: true, data: { clientTime: 1234, serverTime: expect.any(Number) } });
  });

  it('close() disconnects every client', async () => {
    const { url, realtime } = await startServer(disposer);
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    const gone = disconnected(socket);
    await realtime.close();
    expect(await gone).toMatch(/disconnect|close/);
  });
});

describe('subscriptions and publish', () => {
  it('kpi:subscribe joins an allowed module stream; publishes arrive with per-stream sequence numbers', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    const stream = streamName('kpi', rooms.module(tenantId, 'risk'));

    expect(await request(socket, 'kpi:subscribe', { module: 'risk' })).toEqual({
      ok: true,
      data: { module: 'risk', stream, seq: 0 },
    });

    const received = collect(socket, ['kpi:update']);
    const first = await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId, module: 'risk' },
      { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 1)] },
    );
    const second = await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId, module: 'risk' },
      { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 2)] },
    );
    expect(first).toEqual({ id: expect.any(String), stream, seq: 1 });
    expect(second.seq).toBe(2);
    expect(await realtime.position('kpi', { kind: 'module', tenantId, module: 'risk' })).toEqual({ stream, seq: 2 });

    await roundTrip(socket);
    expect(received.map(({ envelope }) => [envelope.stream, envelope.seq, envelope.id])).toEqual([
      [stream, 1, first.id],
      [stream, 2, second.id],
    ]);
    expect(received[1]?.envelope.data).toMatchObject({ kpis: [{ key: 'score', value: 2 }] });

    expect(await request(socket, 'kpi:unsubscribe', { module: 'risk' })).toEqual({
      ok: true,
      data: { module: 'risk' },
    });
    await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId, module: 'risk' },
      { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 3)] },
    );
    await roundTrip(socket);
    expect(received).toHaveLength(2);
  });

  it('kpi:subscribe to a module the roles do not allow is FORBIDDEN and joins nothing', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, { userId: 'sam', tenantId, roles: ['SUPPORT_AGENT'] });
    const ack = await request(socket, 'kpi:subscribe', { module: 'risk' });
    expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const received = collect(socket, ['kpi:update']);
    await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId, module: 'risk' },
      { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 1)] },
    );
    await roundTrip(socket);
    expect(received).toEqual([]);
  });

  it('dashboard:subscribe joins one dashboard stream per role; dashboard:unsubscribe leaves them', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, {
      userId: 'fay',
      tenantId,
      roles: ['FINANCE_MANAGER', 'RISK_ANALYST'],
    });
    const ack = await request(socket, 'dashboard:subscribe', {});
    expect(ack).toEqual({
      ok: true,
      data: {
        streams: [
          { stream: streamName('dashboard', rooms.dashboard(tenantId, 'FINANCE_MANAGER')), seq: 0 },
          { stream: streamName('dashboard', rooms.dashboard(tenantId, 'RISK_ANALYST')), seq: 0 },
        ],
      },
    });
    const summary = {
      tenantId,
      role: 'RISK_ANALYST' as const,
      cards: [],
      topKpis: [],
      updatedAt: new Date().toISOString(),
    };
    const update = nextEvent(socket, 'dashboard:update');
    await realtime.publish('dashboard:update', { kind: 'dashboard', tenantId, role: 'RISK_ANALYST' }, summary);
    expect((await update).data).toEqual(summary);

    expect(await request(socket, 'dashboard:unsubscribe', {})).toEqual({ ok: true, data: {} });
    const received = collect(socket, ['dashboard:update']);
    await realtime.publish('dashboard:update', { kind: 'dashboard', tenantId, role: 'RISK_ANALYST' }, summary);
    await roundTrip(socket);
    expect(received).toEqual([]);
  });

  it('notifications:subscribe gives the positions of the user, role and tenant notification streams', async () => {
    const { url, realtime } = await startServer(disposer);
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    await realtime.publish(
      'notification:new',
      { kind: 'user', tenantId, userId: 'ann' },
      notification(tenantId, 'ann'),
    );
    const ack = await request(socket, 'notifications:subscribe', {});
    expect(ack).toEqual({
      ok: true,
      data: {
        streams: [
          { stream: streamName('notifications', rooms.user(tenantId, 'ann')), seq: 1 },
          { stream: streamName('notifications', rooms.role(tenantId, 'UNDERWRITER')), seq: 0 },
          { stream: streamName('notifications', rooms.tenant(tenantId)), seq: 0 },
        ],
      },
    });
  });

  it('publish validates the data and the target and refuses to cross tenants', async () => {
    const { realtime } = await startServer(disposer);
    const tenantId = uniqueId('t');
    const other = uniqueId('t');
    const invalid = () =>
      realtime.publish(
        'kpi:update',
        { kind: 'module', tenantId, module: 'risk' },
        { tenantId, module: 'risk', kpis: [] },
      );
    await expect(invalid()).rejects.toThrow(RealtimeError);
    await expect(invalid()).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_PAYLOAD', issues: expect.any(Array) }),
    );
    await expect(
      realtime.publish(
        'kpi:update',
        { kind: 'module', tenantId, module: 'risk' },
        { tenantId: other, module: 'risk', kpis: [kpi('risk', 'a', 1)] },
      ),
    ).rejects.toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD', reason: 'tenant_mismatch' }));
    await expect(
      realtime.publish(
        'notification:new',
        { kind: 'module', tenantId, module: 'risk' } as never,
        notification(tenantId, 'ann'),
      ),
    ).rejects.toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD', reason: 'invalid_target' }));
    expect((await realtime.position('kpi', { kind: 'module', tenantId, module: 'risk' })).seq).toBe(0);
  });

  it('publish refuses a notification whose audience is narrower than its target', async () => {
    const { realtime } = await startServer(disposer);
    const tenantId = uniqueId('t');
    await expect(
      realtime.publish('notification:new', { kind: 'tenant', tenantId }, notification(tenantId, 'ann')),
    ).rejects.toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD', reason: 'audience_mismatch' }));
    await expect(
      realtime.publish('notification:new', { kind: 'user', tenantId, userId: 'bob' }, notification(tenantId, 'ann')),
    ).rejects.toThrow(expect.objectContaining({ reason: 'audience_mismatch' }));
    expect(
      (
        await realtime.publish(
          'notification:new',
          { kind: 'user', tenantId, userId: 'ann' },
          notification(tenantId, 'ann'),
        )
      ).seq,
    ).toBe(1);
  });

  it('works over HTTP long-polling as well as WebSocket', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const tenantId = uniqueId('t');
    const { socket, ready } = await connectAs(
      disposer,
      url,
      { userId: 'ann', tenantId, roles: ['ADMIN'] },
      { transports: ['polling'] },
    );
    expect(ready.data.userId).toBe('ann');
    expect(await request(socket, 'kpi:subscribe', { module: 'risk' })).toMatchObject({ ok: true });
    const update = nextEvent(socket, 'kpi:update');
    await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId, module: 'risk' },
      { tenantId, module: 'risk', kpis: [kpi('risk', 'x', 1)] },
    );
    expect((await update).seq).toBe(1);
  });
});

describe('inbound validation and handlers', () => {
  it('answers an invalid payload with INVALID_PAYLOAD and its issues, before any handler runs', async () => {
    let calls = 0;
    const { url } = await startServer(disposer, {
      handlers: {
        'notification:markRead': async () => {
          calls += 1;
          return { ids: [], all: false, readAt: new Date().toISOString(), unreadCount: 0 };
        },
      },
    });
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    const ack = await rawRequest(socket, 'notification:markRead', { id: 'not valid!' });
    expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', issues: [{ path: ['id'] }] } });
    const extra = await rawRequest(socket, 'kpi:subscribe', { module: 'risk', admin: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    const notAnObject = await rawRequest(socket, 'ping', 'hello');
    expect(notAnObject).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(calls).toBe(0);
  });

  it('answers an unknown event with UNKNOWN_EVENT', async () => {
    const { url } = await startServer(disposer);
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    expect(await rawRequest(socket, 'admin:dropDatabase', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_EVENT' },
    });
  });

  it('drops a request without an ack callback and keeps the socket working', async () => {
    const { url, realtime } = await startServer(disposer);
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    (socket.emit as (event: string, payload: unknown) => void)('ping', { clientTime: 1 });
    await roundTrip(socket);
    expect(socket.connected).toBe(true);
    expect(realtime.stats().rejections).toEqual({ INVALID_PAYLOAD: 1 });
  });

  it('delegates app requests to handlers with the session, and answers UNAVAILABLE without one', async () => {
    const tenantId = uniqueId('t');
    const seen: unknown[] = [];
    const { url } = await startServer(disposer, {
      handlers: {
        'notification:markRead': async (requestData, ctx) => {
          seen.push({
            requestData,
            userId: ctx.session.userId,
            tenantId: ctx.session.tenantId,
            socketId: ctx.socketId,
          });
          return { ids: [requestData.id], all: false, readAt: new Date().toISOString(), unreadCount: 3 };
        },
        'alert:acknowledge': async () => {
          throw new RealtimeError('NOT_FOUND', 'No such alert');
        },
        'notification:markAllRead': async () => ({ wrong: true }) as never,
      },
    });
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['ADMIN'] });
    expect(await request(socket, 'notification:markRead', { id: 'n1' })).toMatchObject({
      ok: true,
      data: { ids: ['n1'], unreadCount: 3 },
    });
    expect(seen).toEqual([{ requestData: { id: 'n1' }, userId: 'ann', tenantId, socketId: socket.id }]);
    expect(await request(socket, 'alert:acknowledge', { id: 'a1' })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'No such alert' },
    });
    expect(await request(socket, 'notification:markAllRead', {})).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL' },
    });
  });

  it("keeps the contract code of an app's own error class, and hides everything else as INTERNAL", async () => {
    class StoreError extends Error {
      constructor(
        readonly code: string,
        message: string,
      ) {
        super(message);
      }
    }
    const { url } = await startServer(disposer, {
      handlers: {
        'notification:markRead': async () => {
          throw new StoreError('NOT_FOUND', 'notification not found');
        },
        'alert:acknowledge': async () => {
          throw new StoreError('DISK_ON_FIRE', 'secret internals');
        },
        'notification:markAllRead': async () => {
          throw new TypeError('cannot read properties of undefined');
        },
      },
    });
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    expect(await request(socket, 'notification:markRead', { id: 'n1' })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'notification not found' },
    });
    expect(await request(socket, 'alert:acknowledge', { id: 'a1' })).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'Internal error' },
    });
    expect(await request(socket, 'notification:markAllRead', {})).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'Internal error' },
    });
  });

  it('answers UNAVAILABLE for an app request no handler serves', async () => {
    const { url } = await startServer(disposer);
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId: uniqueId('t'), roles: ['ADMIN'] });
    expect(await request(socket, 'notification:markAllRead', {})).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    });
  });
});

function notification(tenantId: string, userId: string) {
  return {
    id: uniqueId('n'),
    tenantId,
    audience: { kind: 'user' as const, userId },
    severity: 'info' as const,
    title: 'Hello',
    body: 'World',
    createdAt: new Date().toISOString(),
    readAt: null,
  };
}
