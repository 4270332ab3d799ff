import { rooms, streamName } from '@org/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collect, connectAs, Disposer, kpi, nextEvent, request, roundTrip, startServer, uniqueId } from './helpers.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

type KpiData = { kpis: { key: string; value: number }[] };

describe('conflation', () => {
  it('sends the first update of a quiet stream at once, then one frame per window with the latest value of every KPI', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: { windowMs: 20 } });
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['RISK_ANALYST'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const received = collect(socket, ['kpi:update']);

    // A burst: 50 publishes in one go.
    const sending = Array.from({ length: 50 }, (_, index) => {
      const value = index + 1;
      const key = ['score', 'exposure', 'defaults'][value % 3] ?? 'score';
      return realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: [kpi('risk', key, value)] });
    });
    // Leading edge: the stream was quiet, so the first publish went at once, as its own frame. The
    // pending frame has no number yet: a client positioned now must still receive it.
    expect((await realtime.position('kpi', target)).seq).toBe(1);
    const published = await Promise.all(sending);
    expect(published[0]?.seq).toBe(1);
    // Every later publish in the window is folded into the same frame.
    expect(new Set(published.slice(1).map(({ id, seq }) => `${id}/${seq}`)).size).toBe(1);
    expect(published[1]?.seq).toBe(2);

    await vi.waitFor(() => expect(received).toHaveLength(2));
    expect((await realtime.position('kpi', target)).seq).toBe(2);
    await roundTrip(socket);
    expect(received).toHaveLength(2);
    expect(received[0]?.envelope).toMatchObject({ seq: 1, data: { kpis: [{ key: 'exposure', value: 1 }] } });
    const envelope = received[1]?.envelope;
    expect(envelope).toMatchObject({
      id: published[1]?.id,
      seq: 2,
      stream: streamName('kpi', rooms.module(tenantId, 'risk')),
    });
    const kpis = (envelope?.data as KpiData | undefined)?.kpis ?? [];
    const values = Object.fromEntries(kpis.map(({ key, value }) => [key, value]));
    expect(values).toEqual({ exposure: 49, defaults: 50, score: 48 });

    // Once the stream is quiet again, the next update goes at once, in sequence.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const next = nextEvent(socket, 'kpi:update');
    await realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 99)] });
    expect((await realtime.position('kpi', target)).seq).toBe(3);
    expect(await next).toMatchObject({ seq: 3, data: { kpis: [{ key: 'score', value: 99 }] } });
  });

  it('keeps only the latest dashboard:update of a burst', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: { windowMs: 20 } });
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, { userId: 'adam', tenantId, roles: ['ADMIN'] });
    await request(socket, 'dashboard:subscribe', {});
    const received = collect(socket, ['dashboard:update']);
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        realtime.publish(
          'dashboard:update',
          { kind: 'dashboard', tenantId, role: 'ADMIN' },
          {
            tenantId,
            role: 'ADMIN',
            cards: [kpi('risk', 'score', index + 1)],
            topKpis: [],
            updatedAt: new Date().toISOString(),
          },
        ),
      ),
    );
    // The first goes at once (quiet stream); the other nine fold into one frame: the latest wins.
    await vi.waitFor(() => expect(received).toHaveLength(2));
    await roundTrip(socket);
    expect(received).toHaveLength(2);
    expect(received[0]?.envelope.data).toMatchObject({ cards: [{ value: 1 }] });
    expect(received[1]?.envelope.data).toMatchObject({ cards: [{ value: 10 }] });
  });

  it('splits a burst that would exceed 100 KPIs into ordered frames, losing nothing', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: { windowMs: 20 } });
    const tenantId = uniqueId('t');
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['RISK_ANALYST'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    const received = collect(socket, ['kpi:update']);
    const batch = (prefix: string) => Array.from({ length: 60 }, (_, index) => kpi('risk', `${prefix}${index}`, index));
    await Promise.all([
      realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: batch('a') }),
      realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: batch('b') }),
    ]);
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
      await realtime.publish(
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
    const received = collect(socket, ['kpi:update']);
    const target = { kind: 'module' as const, tenantId, module: 'risk' as const };
    await realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 7)] });
    // Within the (minute-long) window: held.
    const held = realtime.publish('kpi:update', target, { tenantId, module: 'risk', kpis: [kpi('risk', 'score', 8)] });
    await roundTrip(socket);
    expect(received).toHaveLength(1);
    await realtime.close();
    expect(await held).toMatchObject({ seq: 2 });
    await vi.waitFor(() => expect(received).toHaveLength(2));
    expect(received[1]?.envelope.data).toMatchObject({ kpis: [{ value: 8 }] });
  });
});
