import { PROTOCOL_VERSION, type PresenceUpdate } from '@org/contracts';
import { createClient } from 'redis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  collect,
  connectAs,
  Disposer,
  disconnected,
  kpi,
  makeClient,
  nextEvent,
  request,
  roundTrip,
  SECRET,
  signToken,
  startServer,
  uniqueId,
} from './helpers.js';
import { startChildNode, startRedis } from './redisServer.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

/** Two nodes on one Redis, each reading the adapter's stream (a blocked XREAD per node). */
async function twoNodes() {
  const redis = await startRedis();
  disposer.add(() => redis.stop());
  const probe = createClient({ url: redis.url });
  await probe.connect();
  disposer.add(() => probe.close());
  const a = await startServer(disposer, { redis: { url: redis.url }, conflation: false });
  const b = await startServer(disposer, { redis: { url: redis.url }, conflation: false });
  await vi.waitFor(
    async () => {
      const clients = String(await probe.sendCommand(['CLIENT', 'LIST']));
      expect(clients.match(/cmd=xread/g)?.length).toBe(2);
    },
    { timeout: 10_000 },
  );
  return { a, b };
}

describe('scale-out over Redis Streams', () => {
  it('a publish on one node reaches a client connected to the other, in its tenant only', async () => {
    const { a, b } = await twoNodes();
    const tenantId = uniqueId('t');
    const otherTenant = uniqueId('t');
    const onB = await connectAs(disposer, b.url, { userId: 'ann', tenantId, roles: ['RISK_ANALYST'] });
    await request(onB.socket, 'kpi:subscribe', { module: 'risk' });
    const stranger = await connectAs(disposer, b.url, {
      userId: 'ann',
      tenantId: otherTenant,
      roles: ['RISK_ANALYST'],
    });
    await request(stranger.socket, 'kpi:subscribe', { module: 'risk' });
    const strangerReceived = collect(stranger.socket, ['kpi:update']);

    const arrival = nextEvent(onB.socket, 'kpi:update');
    const published = a.realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId, module: 'risk' },
      { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 7)] },
    );
    expect(await arrival).toMatchObject({
      id: published.id,
      seq: 1,
      stream: published.stream,
      data: { kpis: [{ value: 7 }] },
    });

    const alert = nextEvent(stranger.socket, 'alert:new');
    a.realtime.publish(
      'alert:new',
      { kind: 'system' },
      {
        id: uniqueId('a'),
        tenantId: null,
        severity: 'critical',
        category: 'infrastructure',
        title: 'Everyone',
        message: '',
        createdAt: new Date().toISOString(),
        acknowledgedAt: null,
        acknowledgedBy: null,
      },
    );
    expect((await alert).data.title).toBe('Everyone');
    await roundTrip(stranger.socket);
    expect(strangerReceived).toEqual([]);
  });

  it('a client resumes on another node: every node keeps every stream, and sequences continue', async () => {
    const { a, b } = await twoNodes();
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const update = (value: number) => ({ tenantId, module: 'risk' as const, kpis: [kpi('risk', 'score', value)] });
    const who = { userId: 'ann', tenantId, roles: ['RISK_ANALYST' as const] };

    const onA = await connectAs(disposer, a.url, who);
    await request(onA.socket, 'kpi:subscribe', { module: 'risk' });
    const first = nextEvent(onA.socket, 'kpi:update');
    a.realtime.publish('kpi:update', target, update(1));
    const cursor = await first;
    onA.socket.disconnect();
    const missed = [2, 3, 4].map((value) => a.realtime.publish('kpi:update', target, update(value)));
    await vi.waitFor(() => expect(b.realtime.position('kpi', target).seq).toBe(4));

    const onB = await connectAs(disposer, b.url, who);
    const received = collect(onB.socket, ['kpi:update']);
    await request(onB.socket, 'kpi:subscribe', { module: 'risk' });
    expect(await request(onB.socket, 'stream:resume', { cursors: { [cursor.stream]: cursor.seq } })).toEqual({
      ok: true,
      data: { replayed: 3, resync: [] },
    });
    // Node B numbers the stream after what node A sent.
    expect(b.realtime.publish('kpi:update', target, update(5)).seq).toBe(5);
    await vi.waitFor(() => expect(received).toHaveLength(4));
    expect(received.map(({ envelope }) => [envelope.seq, envelope.replay ?? false])).toEqual([
      [2, true],
      [3, true],
      [4, true],
      [5, false],
    ]);
    expect(received.slice(0, 3).map(({ envelope }) => envelope.id)).toEqual(missed.map(({ id }) => id));
  });

  it('connection-state recovery works over Redis: missed broadcasts from the other node are restored, and auth still runs', async () => {
    const redis = await startRedis();
    disposer.add(() => redis.stop());
    const recovery = { maxDisconnectionDurationMs: 60_000 };
    const a = await startServer(disposer, {
      redis: { url: redis.url },
      conflation: false,
      connectionStateRecovery: recovery,
    });
    const b = await startServer(disposer, {
      redis: { url: redis.url },
      conflation: false,
      connectionStateRecovery: recovery,
    });
    const probe = createClient({ url: redis.url });
    await probe.connect();
    disposer.add(() => probe.close());
    await vi.waitFor(
      async () => expect(String(await probe.sendCommand(['CLIENT', 'LIST'])).match(/cmd=xread/g)?.length).toBe(2),
      {
        timeout: 10_000,
      },
    );

    const tenantId = uniqueId('t');
    const tokens = [
      await signToken({ userId: 'ann', tenantId, roles: ['UNDERWRITER'] }),
      await signToken({ userId: 'ann', tenantId, roles: ['UNDERWRITER'] }),
    ];
    let handshakes = 0;
    const socket = makeClient(
      disposer,
      a.url,
      {},
      {
        reconnection: true,
        reconnectionDelay: 50,
        reconnectionDelayMax: 50,
        auth: (callback: (auth: object) => void) => {
          handshakes += 1;
          callback({ token: tokens.shift() ?? '', protocol: PROTOCOL_VERSION });
        },
      },
    );
    const ready = nextEvent(socket, 'session:ready');
    socket.connect();
    await ready;
    // A first broadcast gives the client an offset to recover from.
    const first = nextEvent(socket, 'notification:new');
    b.realtime.publish('notification:new', { kind: 'tenant', tenantId }, tenantNote(tenantId, 'first'));
    await first;

    const received = collect(socket, ['notification:new']);
    const down = disconnected(socket);
    a.realtime.io
      .of('/')
      .sockets.get(socket.id ?? '')
      ?.conn.close();
    await down;
    const missed = b.realtime.publish('notification:new', { kind: 'tenant', tenantId }, tenantNote(tenantId, 'missed'));
    const again = nextEvent(socket, 'session:ready');
    socket.connect();
    await again;
    expect(socket.recovered).toBe(true);
    expect(handshakes).toBe(2);
    await vi.waitFor(() => expect(received.map(({ envelope }) => envelope.id)).toContain(missed.id));
  });

  it('aggregates stats and presence across nodes', async () => {
    const { a, b } = await twoNodes();
    const tenantId = uniqueId('t');
    const admin = await connectAs(disposer, a.url, { userId: 'adam', tenantId, roles: ['ADMIN'] });
    const updates = collect(admin.socket, ['presence:update']);
    await connectAs(disposer, b.url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    await connectAs(disposer, b.url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });

    expect(a.realtime.stats()).toMatchObject({ connections: 1, uniqueUsers: 1 });
    const across = await a.realtime.statsAcrossNodes();
    expect(across).toMatchObject({
      connections: 3,
      uniqueUsers: 2,
      perTenant: { [tenantId]: 3 },
      perRole: { ADMIN: 1, UNDERWRITER: 2 },
    });
    expect(await b.realtime.statsAcrossNodes()).toMatchObject({ connections: 3, uniqueUsers: 2 });

    // Presence counts users on both nodes; the update published by node B reaches the admin on node A.
    await vi.waitFor(() => {
      const latest = updates.at(-1)?.envelope.data as PresenceUpdate | undefined;
      expect(latest?.online.map(({ userId, connections }) => [userId, connections])).toEqual([
        ['adam', 1],
        ['ann', 2],
      ]);
    });
    expect((await a.realtime.presence(tenantId)).online).toHaveLength(2);
  });
});

describe('scale-out across two processes', () => {
  it('a publish in one process reaches a client of the other, both ways, and stats add up', async () => {
    const redis = await startRedis();
    disposer.add(() => redis.stop());
    const child = await startChildNode({ REDIS_URL: redis.url, JWT_SECRET: SECRET });
    disposer.add(() => child.stop());
    const local = await startServer(disposer, { redis: { url: redis.url }, conflation: false });
    const probe = createClient({ url: redis.url });
    await probe.connect();
    disposer.add(() => probe.close());
    await vi.waitFor(
      async () => expect(String(await probe.sendCommand(['CLIENT', 'LIST'])).match(/cmd=xread/g)?.length).toBe(2),
      { timeout: 15_000 },
    );

    const tenantId = uniqueId('t');
    const onLocal = await connectAs(disposer, local.url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    const onChild = await connectAs(disposer, child.url, { userId: 'bob', tenantId, roles: ['UNDERWRITER'] });

    // Child process -> client of this process.
    const toAnn = nextEvent(onLocal.socket, 'notification:new');
    const note = (userId: string) => ({
      id: uniqueId('n'),
      tenantId,
      audience: { kind: 'user' as const, userId },
      severity: 'info' as const,
      title: `for ${userId}`,
      body: '',
      createdAt: new Date().toISOString(),
      readAt: null,
    });
    const published = (await child.call({
      type: 'publish',
      event: 'notification:new',
      target: { kind: 'user', tenantId, userId: 'ann' },
      data: note('ann'),
    })) as { id: string };
    expect((await toAnn).id).toBe(published.id);

    // This process -> client of the child process.
    const toBob = nextEvent(onChild.socket, 'notification:new');
    const mine = local.realtime.publish('notification:new', { kind: 'user', tenantId, userId: 'bob' }, note('bob'));
    expect((await toBob).id).toBe(mine.id);

    expect(await child.call({ type: 'stats' })).toMatchObject({
      connections: 2,
      uniqueUsers: 2,
      perTenant: { [tenantId]: 2 },
    });
  });
});

function tenantNote(tenantId: string, title: string) {
  return {
    id: uniqueId('n'),
    tenantId,
    audience: { kind: 'tenant' as const },
    severity: 'info' as const,
    title,
    body: '',
    createdAt: new Date().toISOString(),
    readAt: null,
  };
}
