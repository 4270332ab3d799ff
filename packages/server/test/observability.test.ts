import { Writable } from 'node:stream';
import { PROTOCOL_VERSION } from '@org/contracts';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectAs,
  connectError,
  Disposer,
  kpi,
  makeClient,
  rawRequest,
  request,
  roundTrip,
  signToken,
  startServer,
  uniqueId,
} from './helpers.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

describe('stats()', () => {
  it('counts connections, unique users, tenants, roles, rooms, events in and out, and rejections by code', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const acme = uniqueId('acme');
    const beta = uniqueId('beta');
    const ann1 = await connectAs(disposer, url, { userId: 'ann', tenantId: acme, roles: ['UNDERWRITER'] });
    await connectAs(disposer, url, { userId: 'ann', tenantId: acme, roles: ['UNDERWRITER'] });
    const bob = await connectAs(disposer, url, { userId: 'bob', tenantId: beta, roles: ['ADMIN', 'RISK_ANALYST'] });

    await request(ann1.socket, 'kpi:subscribe', { module: 'risk' });
    await request(ann1.socket, 'kpi:subscribe', { module: 'support' }); // FORBIDDEN
    await rawRequest(bob.socket, 'nope', {}); // UNKNOWN_EVENT
    await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId: acme, module: 'risk' },
      { tenantId: acme, module: 'risk', kpis: [kpi('risk', 'x', 1)] },
    );
    await roundTrip(ann1.socket);

    const stats = realtime.stats();
    expect(stats).toMatchObject({
      connections: 3,
      uniqueUsers: 2,
      perTenant: { [acme]: 2, [beta]: 1 },
      perRole: { UNDERWRITER: 2, ADMIN: 1, RISK_ANALYST: 1 },
      rejections: { FORBIDDEN: 1, UNKNOWN_EVENT: 1 },
    });
    // acme: tenant, user:ann, role:UNDERWRITER, module:risk; beta: tenant, user:bob, 2 roles; and system.
    expect(stats.rooms).toBe(9);
    // kpi:subscribe x2 and ping (the unknown event is not an event of the catalog).
    expect(stats.eventsIn).toBe(3);
    expect(stats.eventsOut).toBeGreaterThanOrEqual(4); // 3 session:ready + 1 kpi:update, plus presence updates
    expect(await realtime.statsAcrossNodes()).toEqual(stats);
  });
});

describe('Prometheus metrics', () => {
  it('exposes connected sockets, events by name and direction, rejections by code and publish latency on the given registry', async () => {
    const registry = new Registry();
    const { url, realtime } = await startServer(disposer, {
      conflation: false,
      metrics: { registry, prefix: 'ops_rt_' },
    });
    expect(realtime.metrics).toBe(registry);
    const tenantId = uniqueId('t');
    const { socket } = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    await connectAs(disposer, url, { userId: 'bea', tenantId, roles: ['UNDERWRITER'] });
    await request(socket, 'kpi:subscribe', { module: 'risk' });
    await request(socket, 'kpi:subscribe', { module: 'support' });
    const expired = await signToken({ userId: 'old', tenantId, roles: ['ADMIN'] }, { issuedAt: 1, expiresAt: 2 });
    await connectError(makeClient(disposer, url, { token: expired, protocol: PROTOCOL_VERSION }));
    await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId, module: 'risk' },
      { tenantId, module: 'risk', kpis: [kpi('risk', 'x', 1)] },
    );
    await roundTrip(socket);

    const families = parsePrometheusTextFormat(await registry.metrics());
    const family = (name: string) => families.find((entry) => entry.name === name);
    const sample = (name: string, labels: Record<string, string>) =>
      family(name)?.metrics.find((metric) =>
        Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value),
      );

    expect(family('ops_rt_connected_sockets')).toMatchObject({ type: 'GAUGE', metrics: [{ value: '2' }] });
    expect(family('ops_rt_events_total')?.type).toBe('COUNTER');
    expect(sample('ops_rt_events_total', { event: 'kpi:subscribe', direction: 'in' })?.value).toBe('2');
    expect(sample('ops_rt_events_total', { event: 'kpi:update', direction: 'out' })?.value).toBe('1');
    expect(sample('ops_rt_events_total', { event: 'session:ready', direction: 'out' })?.value).toBe('2');
    expect(sample('ops_rt_rejections_total', { code: 'FORBIDDEN' })?.value).toBe('1');
    expect(sample('ops_rt_rejections_total', { code: 'TOKEN_EXPIRED' })?.value).toBe('1');
    const latency = family('ops_rt_publish_emit_latency_seconds');
    expect(latency?.type).toBe('HISTOGRAM');
    expect(Number(latency?.metrics[0]?.count)).toBeGreaterThanOrEqual(1);
  });

  it('uses its own registry by default, so two servers in one process do not collide', async () => {
    const first = await startServer(disposer);
    const second = await startServer(disposer);
    expect(first.realtime.metrics).not.toBe(second.realtime.metrics);
    expect(await first.realtime.metrics.metrics()).toContain('realtime_connected_sockets');
  });
});

describe('logs', () => {
  it('logs refusals and rejections with stable codes and never a token', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const { url } = await startServer(disposer, { logger: pino({ level: 'debug' }, sink) });
    const tenantId = uniqueId('t');
    const forged = await signToken(
      { userId: 'ann', tenantId, roles: ['ADMIN'] },
      { secret: 'not-the-server-secret-at-all-000' },
    );
    const expired = await signToken({ userId: 'ann', tenantId, roles: ['ADMIN'] }, { issuedAt: 1, expiresAt: 2 });
    await connectError(makeClient(disposer, url, { token: forged, protocol: PROTOCOL_VERSION }));
    await connectError(makeClient(disposer, url, { token: expired, protocol: PROTOCOL_VERSION }));
    const good = await signToken({ userId: 'ann', tenantId, roles: ['SUPPORT_AGENT'] });
    const socket = makeClient(disposer, url, { token: good, protocol: PROTOCOL_VERSION });
    await new Promise<void>((resolve) => {
      socket.once('connect', () => resolve());
      socket.connect();
    });
    await request(socket, 'kpi:subscribe', { module: 'risk' });

    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    for (const token of [forged, expired, good]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('.')[2]);
    }
    expect(lines).toContainEqual(expect.objectContaining({ code: 'UNAUTHORIZED', reason: 'invalid_signature' }));
    expect(lines).toContainEqual(expect.objectContaining({ code: 'TOKEN_EXPIRED', reason: 'expired' }));
    expect(lines).toContainEqual(expect.objectContaining({ code: 'FORBIDDEN', event: 'kpi:subscribe' }));
  });
});
