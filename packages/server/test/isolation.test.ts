import { type Role, rooms, type ServerEventName, streamName } from '@org/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  collect,
  connectAs,
  Disposer,
  kpi,
  request,
  roundTrip,
  startServer,
  type TestClient,
  uniqueId,
} from './helpers.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

const EVENTS: ServerEventName[] = [
  'kpi:update',
  'dashboard:update',
  'notification:new',
  'notification:read',
  'alert:new',
  'alert:acknowledged',
];

type Audience = { kind: 'tenant' } | { kind: 'user'; userId: string } | { kind: 'role'; role: Role };

function notification(tenantId: string, title: string, audience: Audience = { kind: 'tenant' }) {
  return {
    id: uniqueId('n'),
    tenantId,
    audience,
    severity: 'info' as const,
    title,
    body: '',
    createdAt: new Date().toISOString(),
    readAt: null,
  };
}

function alert(tenantId: string | null, title: string) {
  return {
    id: uniqueId('a'),
    tenantId,
    severity: 'warning' as const,
    category: 'infrastructure' as const,
    title,
    message: '',
    createdAt: new Date().toISOString(),
    acknowledgedAt: null,
    acknowledgedBy: null,
  };
}

describe('cross-tenant isolation', () => {
  it('delivers each publish only to its target in its tenant; only a system alert crosses tenants', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const acme = uniqueId('acme');
    const beta = uniqueId('beta');
    // The same user id in two tenants is two different users.
    const people: { name: string; tenantId: string; userId: string; roles: Role[]; modules: ('risk' | 'support')[] }[] =
      [
        { name: 'acme/ann', tenantId: acme, userId: 'ann', roles: ['UNDERWRITER'], modules: ['risk'] },
        { name: 'acme/adam', tenantId: acme, userId: 'adam', roles: ['ADMIN'], modules: ['risk', 'support'] },
        { name: 'acme/sue', tenantId: acme, userId: 'sue', roles: ['SUPPORT_AGENT'], modules: ['support'] },
        { name: 'beta/ann', tenantId: beta, userId: 'ann', roles: ['UNDERWRITER'], modules: ['risk'] },
        {
          name: 'beta/bob',
          tenantId: beta,
          userId: 'bob',
          roles: ['ADMIN', 'UNDERWRITER'],
          modules: ['risk', 'support'],
        },
      ];
    const clients = new Map<string, { socket: TestClient; received: ReturnType<typeof collect> }>();
    for (const person of people) {
      const { socket } = await connectAs(disposer, url, person);
      for (const module of person.modules)
        expect(await request(socket, 'kpi:subscribe', { module })).toMatchObject({ ok: true });
      expect(await request(socket, 'dashboard:subscribe', {})).toMatchObject({ ok: true });
      clients.set(person.name, { socket, received: collect(socket, EVENTS) });
    }

    const sent = {
      toAcmeAnn: await realtime.publish(
        'notification:new',
        { kind: 'user', tenantId: acme, userId: 'ann' },
        notification(acme, 'acme ann', { kind: 'user', userId: 'ann' }),
      ),
      toAcmeUnderwriters: await realtime.publish(
        'notification:new',
        { kind: 'role', tenantId: acme, role: 'UNDERWRITER' },
        notification(acme, 'acme uw', { kind: 'role', role: 'UNDERWRITER' }),
      ),
      toAcme: await realtime.publish(
        'notification:new',
        { kind: 'tenant', tenantId: acme },
        notification(acme, 'acme all'),
      ),
      acmeRisk: await realtime.publish(
        'kpi:update',
        { kind: 'module', tenantId: acme, module: 'risk' },
        { tenantId: acme, module: 'risk', kpis: [kpi('risk', 'score', 1)] },
      ),
      acmeAdminDashboard: await realtime.publish(
        'dashboard:update',
        { kind: 'dashboard', tenantId: acme, role: 'ADMIN' },
        { tenantId: acme, role: 'ADMIN', cards: [], topKpis: [], updatedAt: new Date().toISOString() },
      ),
      acmeAlert: await realtime.publish('alert:new', { kind: 'tenant', tenantId: acme }, alert(acme, 'acme alert')),
      betaSupport: await realtime.publish(
        'kpi:update',
        { kind: 'module', tenantId: beta, module: 'support' },
        { tenantId: beta, module: 'support', kpis: [kpi('support', 'open', 3)] },
      ),
      betaAdmins: await realtime.publish(
        'alert:new',
        { kind: 'role', tenantId: beta, role: 'ADMIN' },
        alert(beta, 'beta admins'),
      ),
      everyone: await realtime.publish('alert:new', { kind: 'system' }, alert(null, 'system')),
    };
    for (const { socket } of clients.values()) await roundTrip(socket);

    const idsOf = (name: string) => new Set(clients.get(name)?.received.map(({ envelope }) => envelope.id));
    const expected: Record<string, (keyof typeof sent)[]> = {
      'acme/ann': ['toAcmeAnn', 'toAcmeUnderwriters', 'toAcme', 'acmeRisk', 'acmeAlert', 'everyone'],
      'acme/adam': ['toAcme', 'acmeRisk', 'acmeAdminDashboard', 'acmeAlert', 'everyone'],
      'acme/sue': ['toAcme', 'acmeAlert', 'everyone'],
      'beta/ann': ['everyone'],
      'beta/bob': ['betaSupport', 'betaAdmins', 'everyone'],
    };
    for (const [name, keys] of Object.entries(expected)) {
      expect(idsOf(name), name).toEqual(new Set(keys.map((key) => sent[key].id)));
    }
    // Every frame a client got names its own tenant, except the one system alert.
    for (const person of people) {
      for (const { envelope } of clients.get(person.name)?.received ?? []) {
        const tenantId = (envelope.data as { tenantId: string | null }).tenantId;
        expect([person.tenantId, null]).toContain(tenantId);
      }
    }
  });

  it('stream:resume never replays a stream of another tenant or a room the socket is not in', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const acme = uniqueId('acme');
    const beta = uniqueId('beta');
    await realtime.publish('notification:new', { kind: 'tenant', tenantId: acme }, notification(acme, 'secret'));
    await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId: beta, module: 'risk' },
      { tenantId: beta, module: 'risk', kpis: [kpi('risk', 'x', 1)] },
    );
    const { socket } = await connectAs(disposer, url, { userId: 'eve', tenantId: beta, roles: ['SUPPORT_AGENT'] });
    const received = collect(socket, EVENTS);
    const foreign = streamName('notifications', rooms.tenant(acme));
    const notJoined = streamName('kpi', rooms.module(beta, 'risk'));
    const ack = await request(socket, 'stream:resume', {
      cursors: { [foreign]: 0, [notJoined]: 0, 'bogus-stream': 0 },
    });
    expect(ack).toEqual({ ok: true, data: { replayed: 0, resync: [foreign, notJoined, 'bogus-stream'] } });
    await roundTrip(socket);
    expect(received).toEqual([]);
  });

  it('a socket cannot subscribe to another tenant: the tenant always comes from the token', async () => {
    const { url, realtime } = await startServer(disposer, { conflation: false });
    const acme = uniqueId('acme');
    const beta = uniqueId('beta');
    const { socket } = await connectAs(disposer, url, { userId: 'eve', tenantId: beta, roles: ['ADMIN'] });
    expect(await request(socket, 'kpi:subscribe', { module: 'risk' })).toMatchObject({
      ok: true,
      data: { stream: streamName('kpi', rooms.module(beta, 'risk')) },
    });
    const received = collect(socket, EVENTS);
    await realtime.publish(
      'kpi:update',
      { kind: 'module', tenantId: acme, module: 'risk' },
      { tenantId: acme, module: 'risk', kpis: [kpi('risk', 'x', 1)] },
    );
    await roundTrip(socket);
    expect(received).toEqual([]);
  });
});
