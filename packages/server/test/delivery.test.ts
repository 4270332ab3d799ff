import { type Envelope, rooms, serverEvents, streamName } from '@org/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collect, connectAs, Disposer, kpi, nextEvent, request, roundTrip, startServer, uniqueId } from './helpers.js';

const disposer = new Disposer();
afterEach(() => {
  vi.restoreAllMocks();
  return disposer.dispose();
});

const riskUpdate = (tenantId: string, value: number) => ({
  tenantId,
  module: 'risk' as const,
  kpis: [kpi('risk', 'score', value)],
});

describe('replay after a dropped connection', () => {
  it('replays what the client missed, in order, marked replay, then continues live', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const stream = streamName('kpi', rooms.module(tenantId, 'risk'));
    const who = { userId: 'ann', tenantId, roles: ['UNDERWRITER' as const] };

    const first = await connectAs(disposer, url, who);
    await request(first.socket, 'kpi:subscribe', { module: 'risk' });
    const seen = collect(first.socket, ['kpi:update', 'notification:new']);
    await realtime.publish('kpi:update', target, riskUpdate(tenantId, 1));
    await realtime.publish('kpi:update', target, riskUpdate(tenantId, 2));
    await roundTrip(first.socket);
    const cursor = seen.at(-1)?.envelope.seq ?? 0;
    expect(cursor).toBe(2);
    first.socket.disconnect();

    // While the client is away: more KPIs, and a notification on its user stream.
    const missed = await Promise.all(
      [3, 4, 5].map((value) => realtime.publish('kpi:update', target, riskUpdate(tenantId, value))),
    );
    const note = await realtime.publish(
      'notification:new',
      { kind: 'user', tenantId, userId: 'ann' },
      {
        id: uniqueId('n'),
        tenantId,
        audience: { kind: 'user', userId: 'ann' },
        severity: 'info',
        title: 'While you were away',
        body: '',
        createdAt: new Date().toISOString(),
        readAt: null,
      },
    );

    const second = await connectAs(disposer, url, who);
    const received = collect(second.socket, ['kpi:update', 'notification:new']);
    await request(second.socket, 'kpi:subscribe', { module: 'risk' });
    const userStream = streamName('notifications', rooms.user(tenantId, 'ann'));
    const ack = await request(second.socket, 'stream:resume', { cursors: { [stream]: cursor, [userStream]: 0 } });
    expect(ack).toEqual({ ok: true, data: { replayed: 4, resync: [] } });
    await realtime.publish('kpi:update', target, riskUpdate(tenantId, 6));
    await roundTrip(second.socket);

    const kpis = received.filter(({ event }) => event === 'kpi:update').map(({ envelope }) => envelope);
    expect(kpis.map((envelope) => [envelope.seq, envelope.replay ?? false])).toEqual([
      [3, true],
      [4, true],
      [5, true],
      [6, false],
    ]);
    expect(kpis.slice(0, 3).map((envelope) => envelope.id)).toEqual(missed.map((published) => published.id));
    expect(kpis.map((envelope) => (envelope.data as { kpis: { value: number }[] }).kpis[0]?.value)).toEqual([
      3, 4, 5, 6,
    ]);
    const notes = received.filter(({ event }) => event === 'notification:new').map(({ envelope }) => envelope);
    expect(notes).toMatchObject([{ id: note.id, seq: 1, replay: true, stream: userStream }]);
  });

  it('answers an up-to-date cursor with nothing to replay and nothing to resync', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    await realtime.publish('kpi:update', target, riskUpdate(tenantId, 1));
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['ADMIN'] });
    const sub = await request(socket, 'kpi:subscribe', { module: 'risk' });
    if (!sub.ok) throw new Error('subscribe failed');
    const received = collect(socket, ['kpi:update', 'stream:resync']);
    expect(await request(socket, 'stream:resume', { cursors: { [sub.data.stream]: sub.data.seq } })).toEqual({
      ok: true,
      data: { replayed: 0, resync: [] },
    });
    await roundTrip(socket);
    expect(received).toEqual([]);
  });

  it('asks for a resync when the gap is beyond the bounded buffer', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false, replay: { bufferSize: 3 } });
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    for (let value = 1; value <= 10; value += 1) realtime.publish('kpi:update', target, riskUpdate(tenantId, value));
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['ADMIN'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const stream = streamName('kpi', rooms.module(tenantId, 'risk'));

    const resync = nextEvent(socket, 'stream:resync');
    const received = collect(socket, ['kpi:update']);
    expect(await request(socket, 'stream:resume', { cursors: { [stream]: 2 } })).toEqual({
      ok: true,
      data: { replayed: 0, resync: [stream] },
    });
    expect((await resync).data).toEqual({ stream, reason: 'gap' });
    expect(received).toEqual([]);

    // Within the buffer (the last 3: seq 8..10), replay works.
    expect(await request(socket, 'stream:resume', { cursors: { [stream]: 7 } })).toEqual({
      ok: true,
      data: { replayed: 3, resync: [] },
    });
    await roundTrip(socket);
    expect(received.map(({ envelope }) => envelope.seq)).toEqual([8, 9, 10]);
  });

  it('asks for a resync when the missed events are older than maxAgeMs', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false, replay: { maxAgeMs: 5 } });
    const tenantId = uniqueId('t');
    await realtime.publish('kpi:update', { kind: 'module', tenantId, module: 'risk' }, riskUpdate(tenantId, 1));
    await realtime.publish('kpi:update', { kind: 'module', tenantId, module: 'risk' }, riskUpdate(tenantId, 2));
    await new Promise((resolve) => setTimeout(resolve, 25));
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['ADMIN'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const stream = streamName('kpi', rooms.module(tenantId, 'risk'));
    const resync = nextEvent(socket, 'stream:resync');
    expect(await request(socket, 'stream:resume', { cursors: { [stream]: 1 } })).toMatchObject({
      ok: true,
      data: { resync: [stream] },
    });
    expect((await resync).data).toEqual({ stream, reason: 'expired' });
  });

  it('after a server restart, a cursor above the current sequence means resync (unknown_stream)', async () => {
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const before = await startServer(disposer, { conflation: false });
    for (let value = 1; value <= 5; value += 1)
      await before.realtime.publish('kpi:update', target, riskUpdate(tenantId, value));
    const cursor = await before.realtime.position('kpi', target);
    expect(cursor.seq).toBe(5);
    await before.realtime.close();

    const after = await startServer(disposer, { conflation: false });
    await after.realtime.publish('kpi:update', target, riskUpdate(tenantId, 6));
    const { socket } = await connectAs(disposer, after.url, { userId: 'ann', tenantId, roles: ['ADMIN'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const resync = nextEvent(socket, 'stream:resync');
    expect(await request(socket, 'stream:resume', { cursors: { [cursor.stream]: cursor.seq } })).toEqual({
      ok: true,
      data: { replayed: 0, resync: [cursor.stream] },
    });
    expect((await resync).data).toEqual({ stream: cursor.stream, reason: 'unknown_stream' });
  });
});

describe('sequence epochs', () => {
  it('starts each server run above every number an earlier run handed out, so an old cursor resyncs', async () => {
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const epochStart = { sequenceStart: undefined };
    const before = await startServer(disposer, { conflation: false, replay: epochStart });
    const first = await before.realtime.publish('kpi:update', target, riskUpdate(tenantId, 1));
    await before.realtime.close();

    // The restarted server publishes more events than the old client saw, yet the old cursor is
    // never taken for a point in the new numbering.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const after = await startServer(disposer, { conflation: false, replay: epochStart });
    const published = await Promise.all(
      [1, 2, 3].map((value) => after.realtime.publish('kpi:update', target, riskUpdate(tenantId, value))),
    );
    expect(published[0]?.seq).toBeGreaterThan(first.seq);
    expect(published.map((p) => p.seq - (published[0]?.seq ?? 0))).toEqual([0, 1, 2]);

    const { socket } = await connectAs(disposer, after.url, { userId: 'ann', tenantId, roles: ['ADMIN'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const resync = nextEvent(socket, 'stream:resync');
    expect(await request(socket, 'stream:resume', { cursors: { [first.stream]: first.seq } })).toEqual({
      ok: true,
      data: { replayed: 0, resync: [first.stream] },
    });
    expect((await resync).data).toEqual({ stream: first.stream, reason: 'unknown_stream' });
  });

  it('positions a client on a stream nobody published to yet so that the first event follows on', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false, replay: { sequenceStart: undefined } });
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['ADMIN'] });
    const subscribed = await request(socket, 'kpi:subscribe', { module: 'risk' });
    if (!subscribed.ok) throw new Error('subscribe refused');
    const update = nextEvent(socket, 'kpi:update');
    await realtime.publish('kpi:update', { kind: 'module', tenantId, module: 'risk' }, riskUpdate(tenantId, 1));
    expect((await update).seq).toBe(subscribed.data.seq + 1);
  });
});

describe('outbound cost', () => {
  it('validates data once per publish and encodes once per broadcast, however many sockets receive it', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const tenantId = uniqueId('t');
    const sockets = [];
    for (let index = 0; index < 12; index += 1) {
      const { socket } = await connectAs(disposer, url, { userId: `u${index}`, tenantId, roles: ['RISK_ANALYST'] });
      await request(socket, 'kpi:subscribe', { module: 'risk' });
      sockets.push(socket);
    }
    const arrivals = sockets.map((socket) => nextEvent(socket, 'kpi:update'));
    // Spies call through: the real schema and the real Socket.IO encoder still do the work.
    const validate = vi.spyOn(serverEvents['kpi:update'].data, 'safeParse');
    const encoder = (realtime.io as unknown as { encoder: { encode: (packet: { data?: unknown[] }) => unknown } })
      .encoder;
    const encode = vi.spyOn(encoder, 'encode');

    const published = await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId, module: 'risk' },
      riskUpdate(tenantId, 42),
    );
    const envelopes: Envelope<unknown>[] = await Promise.all(arrivals);

    expect(envelopes.map((envelope) => envelope.id)).toEqual(sockets.map(() => published.id));
    expect(validate).toHaveBeenCalledTimes(1);
    expect(encode.mock.calls.filter(([packet]) => packet.data?.[0] === 'kpi:update')).toHaveLength(1);
  });
});
