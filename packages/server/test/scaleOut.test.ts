import type { PresenceUpdate } from '@org/contracts';
import { startRedis } from '@org/test-support';
import { createClient } from 'redis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startChildNode } from './childNode.js';
import {
  collect,
  connectAs,
  Disposer,
  kpi,
  nextEvent,
  request,
  roundTrip,
  SECRET,
  startServer,
  uniqueId,
} from './helpers.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

/** Two nodes on one Redis, each reading the adapter's stream (a blocked XREAD per node). */
async function twoNodes(redisOptions: { reorderWindowMs?: number } = {}) {
  const redis = await startRedis();
  disposer.add(() => redis.stop());
  const probe = createClient({ url: redis.url });
  probe.on('error', () => undefined); // some tests stop Redis under it
  await probe.connect();
  disposer.add(() => probe.close());
  const a = await startServer(disposer, { redis: { url: redis.url, ...redisOptions }, conflation: false });
  const b = await startServer(disposer, { redis: { url: redis.url, ...redisOptions }, conflation: false });
  await vi.waitFor(
    async () => {
      const clients = String(await probe.sendCommand(['CLIENT', 'LIST']));
      expect(clients.match(/cmd=xread/g)?.length).toBe(2);
    },
    { timeout: 10_000 },
  );
  return { a, b, redis };
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
    const published = await a.realtime.publish(
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
    await a.realtime.publish(
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
    await a.realtime.publish('kpi:update', target, update(1));
    const cursor = await first;
    onA.socket.disconnect();
    const missed = await Promise.all([2, 3, 4].map((value) => a.realtime.publish('kpi:update', target, update(value))));
    await vi.waitFor(async () => expect((await b.realtime.position('kpi', target)).seq).toBe(4));

    const onB = await connectAs(disposer, b.url, who);
    const received = collect(onB.socket, ['kpi:update']);
    await request(onB.socket, 'kpi:subscribe', { module: 'risk' });
    expect(await request(onB.socket, 'stream:resume', { cursors: { [cursor.stream]: cursor.seq } })).toEqual({
      ok: true,
      data: { replayed: 3, resync: [] },
    });
    // Node B numbers the stream after what node A sent.
    expect((await b.realtime.publish('kpi:update', target, update(5))).seq).toBe(5);
    await vi.waitFor(() => expect(received).toHaveLength(4));
    expect(received.map(({ envelope }) => [envelope.seq, envelope.replay ?? false])).toEqual([
      [2, true],
      [3, true],
      [4, true],
      [5, false],
    ]);
    expect(received.slice(0, 3).map(({ envelope }) => envelope.id)).toEqual(missed.map(({ id }) => id));
  });

  it('refuses connection-state recovery together with Redis (stream:resume recovers across nodes)', async () => {
    await expect(
      startServer(disposer, {
        redis: { url: 'redis://127.0.0.1:1' },
        connectionStateRecovery: { maxDisconnectionDurationMs: 60_000 },
      }),
    ).rejects.toThrow(/connectionStateRecovery cannot be combined with redis/);
  });

  it('numbers a stream once across nodes, and delivers concurrent publishes from both in order', async () => {
    // A generous reorder window: this test is about order, not about how long a loaded machine takes.
    const { a, b } = await twoNodes({ reorderWindowMs: 2_000 });
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const update = (value: number) => ({ tenantId, module: 'risk' as const, kpis: [kpi('risk', 'score', value)] });
    const who = { userId: 'ann', tenantId, roles: ['RISK_ANALYST' as const] };
    const clients = [await connectAs(disposer, a.url, who), await connectAs(disposer, b.url, who)];
    for (const client of clients) await request(client.socket, 'kpi:subscribe', { module: 'risk' });
    const received = clients.map((client) => collect(client.socket, ['kpi:update', 'stream:resync']));

    const published = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        (index % 2 === 0 ? a : b).realtime.publish('kpi:update', target, update(index)),
      ),
    );
    const numbers = published.map(({ seq }) => seq).sort((x, y) => x - y);
    expect(new Set(numbers).size).toBe(60);
    expect(numbers.at(-1)).toBe((numbers[0] ?? 0) + 59);

    // Each client gets every event once, in number order, and never has to resync.
    for (const events of received) {
      await vi.waitFor(() => expect(events).toHaveLength(60));
      expect(events.map(({ event }) => event)).not.toContain('stream:resync');
      expect(events.map(({ envelope }) => envelope.seq)).toEqual(numbers);
    }
  });

  it('keeps delivering to each node’s own clients while Redis is down, and heals when it is back', async () => {
    const { a, b, redis } = await twoNodes();
    const tenantId = uniqueId('t');
    const target = { kind: 'tenant' as const, tenantId };
    const onA = await connectAs(disposer, a.url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    const onB = await connectAs(disposer, b.url, { userId: 'bob', tenantId, roles: ['UNDERWRITER'] });
    for (const { socket } of [onA, onB]) await request(socket, 'notifications:subscribe', {});
    const before = nextEvent(onB.socket, 'notification:new');
    const healthy = await a.realtime.publish('notification:new', target, tenantNote(tenantId, 'healthy'));
    expect((await before).id).toBe(healthy.id);
    const seenA = collect(onA.socket, ['notification:new', 'stream:resync']);
    const seenB = collect(onB.socket, ['notification:new', 'stream:resync']);

    await redis.stop();
    // Each node numbers on its own now, in a new epoch (a gap, never a reused number), and still
    // delivers to its own clients at once.
    const viaA = await a.realtime.publish('notification:new', target, tenantNote(tenantId, 'down, via A'));
    const viaB = await b.realtime.publish('notification:new', target, tenantNote(tenantId, 'down, via B'));
    expect(viaA.seq).toBeGreaterThan(healthy.seq + 1);
    expect(viaB.seq).toBeGreaterThan(healthy.seq + 1);
    expect(viaA.seq).not.toBe(viaB.seq);
    await vi.waitFor(() => expect(seenA.map(({ envelope }) => envelope.id)).toContain(viaA.id));
    await vi.waitFor(() => expect(seenB.map(({ envelope }) => envelope.id)).toContain(viaB.id));

    // Back up (empty: no persistence): each node announces what it emitted meanwhile, and the
    // other node's clients, who missed it, are told to resync that stream.
    await redis.start();
    const stream = healthy.stream;
    const resyncOf = (events: typeof seenA) =>
      events.some(
        ({ event, envelope }) => event === 'stream:resync' && (envelope.data as { stream: string }).stream === stream,
      );
    await vi.waitFor(() => expect([resyncOf(seenA), resyncOf(seenB)]).toEqual([true, true]), { timeout: 15_000 });

    // Cross-node delivery resumes by itself, numbered from the shared counter again.
    await vi.waitFor(
      async () => {
        const arrival = nextEvent(onB.socket, 'notification:new');
        const after = await a.realtime.publish('notification:new', target, tenantNote(tenantId, 'after'));
        const got = await Promise.race([arrival, new Promise((resolve) => setTimeout(resolve, 500))]);
        expect((got as { id?: string } | undefined)?.id).toBe(after.id);
      },
      { timeout: 15_000, interval: 100 },
    );
  });

  it('closes while Redis is down, without waiting for commands queued offline', async () => {
    const { a, redis } = await twoNodes();
    await redis.stop();
    // Would hang until Redis came back (never, here) if close() waited on the offline queue.
    await a.realtime.close();
  });

  it('never positions a client past a frame another node still holds for conflation', async () => {
    const redis = await startRedis();
    disposer.add(() => redis.stop());
    const a = await startServer(disposer, { redis: { url: redis.url }, conflation: { windowMs: 300 } });
    const b = await startServer(disposer, { redis: { url: redis.url }, conflation: false });
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const update = (value: number) => ({ tenantId, module: 'risk' as const, kpis: [kpi('risk', 'score', value)] });
    await a.realtime.publish('kpi:update', target, update(1)); // a quiet stream: sent at once
    const held = a.realtime.publish('kpi:update', target, update(2)); // within the window: held on A

    const onB = await connectAs(disposer, b.url, { userId: 'ann', tenantId, roles: ['RISK_ANALYST'] });
    const received = collect(onB.socket, ['kpi:update', 'stream:resync']);
    const subscribed = await request(onB.socket, 'kpi:subscribe', { module: 'risk' });
    const cursor = subscribed.ok ? subscribed.data.seq : Number.NaN;
    void a.realtime.publish('kpi:update', target, update(3)); // merges into the held frame
    const sent = await held;

    // The held frame is numbered when it goes, after the position B handed out: the client takes it.
    expect(sent.seq).toBeGreaterThan(cursor);
    await vi.waitFor(() => expect(received.map(({ envelope }) => envelope.seq)).toContain(sent.seq));
    const frame = received.find(({ envelope }) => envelope.seq === sent.seq);
    expect(frame?.envelope.data).toMatchObject({ kpis: [{ value: 3 }] });
  });

  it('tells a node’s clients to resync once its link to the other nodes is back after a cut', async () => {
    const { a, redis } = await twoNodes();
    const tenantId = uniqueId('t');
    const onA = await connectAs(disposer, a.url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    const streams = await request(onA.socket, 'notifications:subscribe', {});
    const resync = nextEvent(onA.socket, 'stream:resync');
    // Cut every pub/sub connection (as Redis does to a subscriber that falls behind); they reconnect.
    const admin = createClient({ url: redis.url });
    await admin.connect();
    disposer.add(() => admin.close());
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    const { stream } = (await resync).data;
    expect(streams.ok && streams.data.streams.map((s) => s.stream)).toContain(stream);
  });

  it('serves its own clients when Redis is down from the start, and closes all the same', async () => {
    const nowhere = 'redis://127.0.0.1:1';
    const node = await startServer(disposer, { redis: { url: nowhere }, conflation: false }, undefined, {
      waitForRedis: false,
    });
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, node.url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    const arrival = nextEvent(socket, 'notification:new');
    const published = await node.realtime.publish(
      'notification:new',
      { kind: 'tenant', tenantId },
      tenantNote(tenantId, 'local'),
    );
    expect((await arrival).id).toBe(published.id);
    await node.realtime.close();
  });

  it('numbers on its own when Redis stops answering, instead of holding publishes back', async () => {
    const { a, redis } = await twoNodes();
    const tenantId = uniqueId('t');
    const target = { kind: 'tenant' as const, tenantId };
    const before = await a.realtime.publish('notification:new', target, tenantNote(tenantId, 'before'));
    const admin = createClient({ url: redis.url });
    await admin.connect();
    disposer.add(() => admin.close());
    // Redis keeps the connections but answers no write for 3 s.
    await admin.sendCommand(['CLIENT', 'PAUSE', '3000', 'WRITE']);
    const during = await a.realtime.publish('notification:new', target, tenantNote(tenantId, 'paused'));
    // A number of a new epoch (the counter timed out), not the next one from Redis.
    expect(during.seq).toBeGreaterThan(before.seq + 1);
    await admin.sendCommand(['CLIENT', 'UNPAUSE']);
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
    const mine = await local.realtime.publish(
      'notification:new',
      { kind: 'user', tenantId, userId: 'bob' },
      note('bob'),
    );
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
