import { rooms, streamName } from '@org/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collect, connectAs, Disposer, kpi, nextEvent, request, roundTrip, startServer, uniqueId } from './helpers.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

type KpiData = { kpis: { key: string; value: number }[] };

describe('conflation', () => {
  it('coalesces a burst of kpi:update into one frame per window with the latest value of every KPI', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: { windowMs: 20 } });
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['RISK_ANALYST'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const received = collect(socket, ['kpi:update']);
    const frame = nextEvent(socket, 'kpi:update');

    const published = [];
    for (let value = 1; value <= 50; value += 1) {
      const key = ['score', 'exposure', 'defaults'][value % 3] ?? 'score';
      published.push(
        realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: [kpi('risk', key, value)] }),
      );
    }
    // Every publish in the window is folded into the same frame.
    expect(new Set(published.map(({ id, seq }) => `${id}/${seq}`)).size).toBe(1);
    // A pending frame is not a position yet: a client positioned now must still receive it.
    expect(realtime.position('kpi', target).seq).toBe(0);

    const envelope = await frame;
    expect(realtime.position('kpi', target).seq).toBe(1);
    await roundTrip(socket);
    expect(received).toHaveLength(1);
    expect(envelope).toMatchObject({
      id: published[0]?.id,
      seq: 1,
      stream: streamName('kpi', rooms.module(tenantId, 'risk')),
    });
    const values = Object.fromEntries((envelope.data as KpiData).kpis.map(({ key, value }) => [key, value]));
    expect(values).toEqual({ exposure: 49, defaults: 50, score: 48 });

    // The next burst is the next frame, in sequence.
    const next = nextEvent(socket, 'kpi:update');
    realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 99)] });
    expect(await next).toMatchObject({ seq: 2, data: { kpis: [{ key: 'score', value: 99 }] } });
  });

  it('keeps only the latest dashboard:update of a burst', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: { windowMs: 20 } });
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, { userId: 'adam', tenantId, roles: ['ADMIN'] });
    await request(socket, 'dashboard:subscribe', {});
    const received = collect(socket, ['dashboard:update']);
    const frame = nextEvent(socket, 'dashboard:update');
    for (let value = 1; value <= 10; value += 1) {
      realtime.publish(
        'dashboard:update',
        { kind: 'dashboard', tenantId, role: 'ADMIN' },
        {
          tenantId,
          role: 'ADMIN',
          cards: [kpi('risk', 'score', value)],
          topKpis: [],
          updatedAt: new Date().toISOString(),
        },
      );
    }
    expect((await frame).data).toMatchObject({ cards: [{ value: 10 }] });
    await roundTrip(socket);
    expect(received).toHaveLength(1);
  });

  it('splits a burst that would exceed 100 KPIs into ordered frames, losing nothing', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: { windowMs: 20 } });
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['RISK_ANALYST'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const received = collect(socket, ['kpi:update']);
    const batch = (prefix: string) => Array.from({ length: 60 }, (_, index) => kpi('risk', `${prefix}${index}`, index));
    realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: batch('a') });
    realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: batch('b') });
    await vi.waitFor(() => expect(received).toHaveLength(2));
    expect(received.map(({ envelope }) => [envelope.seq, (envelope.data as KpiData).kpis.length])).toEqual([
      [1, 60],
      [2, 60],
    ]);
  });

  it('does not conflate with conflation: false (one frame per publish)', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['RISK_ANALYST'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const received = collect(socket, ['kpi:update']);
    for (let value = 1; value <= 5; value += 1) {
      realtime.publish(
        'kpi:update',
        { kind: 'module', tenantId, module: 'risk' },
        { tenantId, module: 'risk', kpis: [kpi('risk', 'score', value)] },
      );
    }
    await roundTrip(socket);
    expect(received.map(({ envelope }) => envelope.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('close() flushes pending frames', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: { windowMs: 60_000 } });
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['RISK_ANALYST'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const frame = nextEvent(socket, 'kpi:update');
    realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId, module: 'risk' },
      { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 7)] },
    );
    await realtime.close();
    expect((await frame).data).toMatchObject({ kpis: [{ value: 7 }] });
  });
});
