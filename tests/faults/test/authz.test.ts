import {
  type Audience,
  type Module,
  Module as ModuleSchema,
  moduleAccess,
  PROTOCOL_VERSION,
  type Role,
} from '@org/contracts';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess } from '../src/apiProcess.js';
import { SERVICE_KEY, scale, sleep } from '../src/env.js';
import { recordFigures } from '../src/figures.js';
import { errorCodeOf, http, notificationBody } from '../src/http.js';
import { loopbackAddress } from '../src/net.js';
import { ROLES, tenantIds } from '../src/population.js';
import { type Identity, mintToken, tamperedToken, unsignedToken } from '../src/tokens.js';

const TENANTS = tenantIds(10);
const MODULES = ModuleSchema.options;
/** Published events; each reaches several sockets, and every delivery is checked. */
const EVENTS = scale(1_500, 100_000);
/** Deliveries checked at the least (the 100,000 in the full run). */
const MIN_DELIVERIES = scale(4_000, 100_000);
const PUBLISHERS = 32;
/** Events published over HTTP (the rest from inside the API process, see the test). */
const HTTP_EVENTS = scale(1_500, 10_000);
const IN_PROCESS_BATCH = 500;
type Ack = { ok: boolean; data?: { replayed?: number; resync?: string[] }; error?: { code: string } };
type Envelope = { stream: string; data: Record<string, unknown> };

type Member = Identity & {
  role: Role;
  token: string;
  socket: ReturnType<typeof io>;
  received: number;
  userNotifications: number;
  violations: string[];
};

/** Why a member must not have received this envelope (its tenant only, its own user, its role, modules its role allows). */
function violation(member: Member, event: string, envelope: Envelope): string | undefined {
  const data = envelope.data;
  const tenantId = data.tenantId as string | null | undefined;
  if (event === 'alert:new' && tenantId === null) return undefined; // system-wide alerts go to everyone
  if (tenantId !== member.tenantId) return `tenant ${tenantId}`;
  if (!envelope.stream.includes(`tenant:${member.tenantId}`)) return 'stream of another tenant';
  if (event === 'notification:new') {
    const audience = data.audience as { kind: string; userId?: string; role?: string };
    if (audience.kind === 'user' && audience.userId !== member.userId) return `user ${audience.userId}`;
    if (audience.kind === 'role' && audience.role !== member.role) return `role ${audience.role}`;
  }
  if (event === 'kpi:update' && !(moduleAccess[member.role] as readonly string[]).includes(data.module as string)) {
    return `module ${data.module}`;
  }
  return undefined;
}

function check(member: Member, event: string, envelope: Envelope): void {
  member.received += 1;
  const why = violation(member, event, envelope);
  if (why) member.violations.push(`${event} ${envelope.stream}: ${why}`);
  else if (event === 'notification:new' && (envelope.data.audience as { kind: string }).kind === 'user') {
    member.userNotifications += 1;
  }
}

describe('authorisation matrix: 10 tenants x every role', () => {
  const api = new ApiProcess({ name: 'authz-api', probe: true });
  const members: Member[] = [];
  const refusals: Record<string, number> = {};
  const refused = (what: string) => {
    refusals[what] = (refusals[what] ?? 0) + 1;
  };

  beforeAll(async () => {
    await api.start();
    let n = 0;
    const ready: Promise<void>[] = [];
    for (const tenantId of TENANTS) {
      for (const role of ROLES) {
        for (const k of [0, 1]) {
          const identity = { userId: `${role.toLowerCase()}-${k}`, tenantId, roles: [role] };
          const token = await mintToken(identity);
          const socket = io(api.url, {
            auth: { token, protocol: PROTOCOL_VERSION },
            transports: ['websocket'],
            forceNew: true,
            reconnection: false,
            localAddress: loopbackAddress(600 + n++),
          } as Parameters<typeof io>[1]);
          const member: Member = {
            ...identity,
            role,
            token,
            socket,
            received: 0,
            userNotifications: 0,
            violations: [],
          };
          for (const event of [
            'notification:new',
            'kpi:update',
            'alert:new',
            'dashboard:update',
            'notification:read',
          ]) {
            socket.on(event, (envelope: Envelope) => check(member, event, envelope));
          }
          ready.push(
            new Promise<void>((resolve, reject) => {
              socket.once('session:ready' as never, () => resolve());
              socket.once('connect_error', reject);
            }),
          );
          members.push(member);
        }
      }
    }
    await Promise.all(ready);
  });

  afterAll(async () => {
    for (const member of members) member.socket.disconnect();
    await api.dispose();
  });

  it('refuses every forged, unsigned, expired or missing credential (socket and REST)', async () => {
    const victim = members[0] as Member;
    const who = { userId: victim.userId, tenantId: victim.tenantId, roles: victim.roles };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['no token', { protocol: PROTOCOL_VERSION }],
      ['empty token', { token: '', protocol: PROTOCOL_VERSION }],
      [
        'forged signature',
        {
          token: await mintToken(who, { secret: new TextEncoder().encode('x'.repeat(40)) }),
          protocol: PROTOCOL_VERSION,
        },
      ],
      ['alg none', { token: unsignedToken(who), protocol: PROTOCOL_VERSION }],
      ['expired', { token: await mintToken(who, { expiredAgoSeconds: 120 }), protocol: PROTOCOL_VERSION }],
      ['tampered tenant', { token: await tamperedToken(who, TENANTS[1] as string), protocol: PROTOCOL_VERSION }],
      ['garbage', { token: 'not.a.jwt', protocol: PROTOCOL_VERSION }],
      ['wrong protocol', { token: victim.token, protocol: PROTOCOL_VERSION + 1 }],
    ];
    let address = 0;
    for (const tenantId of TENANTS) {
      for (const [name, auth] of cases) {
        const outcome = await new Promise<string>((resolve) => {
          const socket = io(api.url, {
            auth,
            transports: ['websocket'],
            forceNew: true,
            reconnection: false,
            localAddress: loopbackAddress(900 + address++),
          } as Parameters<typeof io>[1]);
          socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
            socket.close();
            resolve(error.data?.code ?? 'refused');
          });
          socket.once('session:ready' as never, () => {
            socket.close();
            resolve(`ACCEPTED (${tenantId})`);
          });
        });
        expect(`${name}: ${outcome}`).toMatch(/: (UNAUTHORIZED|TOKEN_EXPIRED|PROTOCOL_MISMATCH)$/);
        refused(`handshake ${name}`);
      }
    }
    for (const [name, auth] of cases.filter(([, a]) => typeof a.token === 'string' && a.token !== victim.token)) {
      const rest = await http(api.url, 'GET', '/api/notifications', { token: auth.token as string });
      expect(`${name}: ${rest.status}`).toBe(`${name}: 401`);
      refused(`rest ${name}`);
    }
    const none = await http(api.url, 'GET', '/api/me');
    expect(none.status).toBe(401);
    // Publishing without or with a wrong service key.
    const keys: Record<string, string>[] = [
      {},
      { 'x-service-key': 'wrong-service-key' },
      { 'x-service-key': `${SERVICE_KEY}x` },
    ];
    for (const headers of keys) {
      const result = await http(api.url, 'POST', '/api/events', {
        headers,
        body: notificationBody(victim.tenantId, { kind: 'tenant' }, 'forged publish'),
      });
      expect(result.status).toBe(401);
      refused('publish without the service key');
    }
  });

  it('keeps every tenant, user, role and module apart in requests and subscriptions', async () => {
    // Seed one user notification and one alert per tenant, owned by member 0 of that tenant.
    const owned = new Map<string, { notificationId: string; alertId: string; owner: Member }>();
    for (const tenantId of TENANTS) {
      const owner = members.find((m) => m.tenantId === tenantId) as Member;
      const n = await http(api.url, 'POST', '/api/events', {
        headers: { 'x-service-key': SERVICE_KEY },
        body: notificationBody(tenantId, { kind: 'user', userId: owner.userId }, 'private'),
      });
      const a = await http(api.url, 'POST', '/api/events', {
        headers: { 'x-service-key': SERVICE_KEY },
        body: {
          event: 'alert:new',
          tenantId,
          data: { severity: 'warning', category: 'risk', title: 'tenant alert', message: '' },
        },
      });
      owned.set(tenantId, {
        notificationId: (n.body as { id: string }).id,
        alertId: (a.body as { id: string }).id,
        owner,
      });
    }
    const other = (tenantId: string) => TENANTS[(TENANTS.indexOf(tenantId) + 1) % TENANTS.length] as string;
    for (const member of members) {
      const mine = owned.get(member.tenantId);
      const theirs = owned.get(other(member.tenantId));
      if (!mine || !theirs) throw new Error('seed missing');
      // Modules: the policy decides, on the socket and over REST.
      for (const module of MODULES as readonly Module[]) {
        const allowed = (moduleAccess[member.role] as readonly string[]).includes(module);
        const ack = (await member.socket.timeout(5000).emitWithAck('kpi:subscribe', { module })) as Ack;
        const rest = await http(api.url, 'GET', `/api/kpis?module=${module}`, { token: member.token });
        if (allowed) {
          expect(ack.ok).toBe(true);
          expect(rest.status).toBe(200);
          expect((rest.body as { tenantId: string }).tenantId).toBe(member.tenantId);
        } else {
          expect(ack.error?.code).toBe('FORBIDDEN');
          expect(rest.status).toBe(403);
          refused('forbidden module');
        }
      }
      // Another tenant named in a subscription is not even a valid request.
      const foreignSub = (await member.socket.timeout(5000).emitWithAck('kpi:subscribe', {
        module: 'risk',
        tenantId: other(member.tenantId),
      })) as Ack;
      expect(foreignSub.error?.code).toBe('INVALID_PAYLOAD');
      refused('subscription naming another tenant');
      // Resuming another tenant's (or user's) streams replays nothing.
      const resume = (await member.socket.timeout(5000).emitWithAck('stream:resume', {
        cursors: {
          [`notifications@tenant:${other(member.tenantId)}`]: 0,
          [`notifications@tenant:${member.tenantId}:user:${theirs.owner.userId}x`]: 0,
          [`kpi@tenant:${other(member.tenantId)}:module:risk`]: 0,
          [`alerts@tenant:${other(member.tenantId)}`]: 0,
        },
      })) as Ack;
      expect(resume.data?.replayed).toBe(0);
      expect(resume.data?.resync).toHaveLength(4);
      refused('resume of foreign streams');
      // Another tenant's notification and alert, another user's notification.
      for (const id of [theirs.notificationId, ...(member === mine.owner ? [] : [mine.notificationId])]) {
        const rest = await http(api.url, 'POST', `/api/notifications/${id}/read`, { token: member.token });
        expect(rest.status).toBe(404);
        const ack = (await member.socket.timeout(5000).emitWithAck('notification:markRead', { id })) as Ack;
        expect(ack.ok).toBe(false);
        refused("marking another user's notification");
      }
      const ackAlert = await http(api.url, 'POST', `/api/alerts/${theirs.alertId}/ack`, { token: member.token });
      expect(ackAlert.status).toBe(404);
      refused("acknowledging another tenant's alert");
      // Admin-only endpoints; an admin sees its own tenant's figures only.
      const stats = await http(api.url, 'GET', '/api/realtime/stats', { token: member.token });
      if (member.role === 'ADMIN') {
        expect(Object.keys((stats.body as { perTenant: object }).perTenant)).toEqual([member.tenantId]);
      } else {
        expect(stats.status).toBe(403);
        expect(errorCodeOf(stats.body)).toBe('FORBIDDEN');
        refused('admin endpoint');
      }
      // Reading: the list holds only what this user may see.
      const list = (await http(api.url, 'GET', '/api/notifications?limit=100', { token: member.token })).body as {
        items: { id: string; tenantId: string }[];
      };
      expect(list.items.every((item) => item.tenantId === member.tenantId)).toBe(true);
      expect(list.items.some((item) => item.id === mine.notificationId)).toBe(member === mine.owner);
    }
    // The owners' notifications are still unread.
    for (const { notificationId, owner } of owned.values()) {
      const list = (await http(api.url, 'GET', '/api/notifications?limit=100', { token: owner.token })).body as {
        items: { id: string; readAt: string | null }[];
      };
      expect(list.items.find((item) => item.id === notificationId)?.readAt).toBeNull();
    }
    expect(members.flatMap((m) => m.violations)).toEqual([]);
  });

  it(`delivers ${EVENTS} events (${MIN_DELIVERIES}+ deliveries) with zero cross-tenant or cross-user deliveries`, async () => {
    const before = members.reduce((sum, m) => sum + m.received, 0);
    const userBefore = new Map(members.map((m) => [m, m.userNotifications]));
    const expectedUser = new Map<Member, number>();
    /**
     * Event i, as a `POST /api/events` body and as what the server publishes (event, target, data):
     * notifications to one user, to a role and to a tenant, KPI updates of every module, alerts.
     */
    const eventAt = (i: number) => {
      const tenantId = TENANTS[i % TENANTS.length] as string;
      const kind = i % 5;
      const createdAt = new Date().toISOString();
      const notification = (audience: Audience, title: string, tenant = tenantId) => ({
        body: notificationBody(tenant, audience, title),
        event: 'notification:new',
        target:
          audience.kind === 'tenant'
            ? { kind: 'tenant', tenantId: tenant }
            : audience.kind === 'role'
              ? { kind: 'role', tenantId: tenant, role: audience.role }
              : { kind: 'user', tenantId: tenant, userId: audience.userId },
        data: {
          id: `n-${i}`,
          tenantId: tenant,
          audience,
          severity: 'info',
          title,
          body: 'fault suite',
          createdAt,
          readAt: null,
        },
      });
      if (kind === 0 || kind === 1) {
        const target = members[(i * 7) % members.length] as Member;
        expectedUser.set(target, (expectedUser.get(target) ?? 0) + 1);
        return notification({ kind: 'user', userId: target.userId }, `u${i}`, target.tenantId);
      }
      if (kind === 2) return notification({ kind: 'role', role: ROLES[i % ROLES.length] as Role }, `r${i}`);
      if (kind === 3) {
        const module = MODULES[i % MODULES.length] as Module;
        const data = {
          tenantId,
          module,
          kpis: [
            {
              key: `${module}_authz`,
              module,
              label: 'Authz',
              value: i,
              unit: 'count',
              change: null,
              updatedAt: createdAt,
            },
          ],
        };
        return {
          body: { event: 'kpi:update', data },
          event: 'kpi:update',
          target: { kind: 'module', tenantId, module },
          data,
        };
      }
      if (i % 50 === 4) return notification({ kind: 'tenant' }, `t${i}`);
      const draft = { severity: 'info', category: 'risk', title: `a${i}`, message: '' } as const;
      return {
        body: { event: 'alert:new', tenantId, data: draft },
        event: 'alert:new',
        target: { kind: 'tenant', tenantId },
        data: { id: `a-${i}`, tenantId, ...draft, createdAt, acknowledgedAt: null, acknowledgedBy: null },
      };
    };
    let next = 0;
    let accepted = 0;
    const started = Date.now();
    // The first HTTP_EVENTS go the whole way (service key, contract, store): 32 publishers keep the
    // API's one core busy. The rest are published from inside the API process, through the same
    // validation, scope checks and room routing, in batches: what the matrix checks is delivery.
    await Promise.all(
      Array.from({ length: PUBLISHERS }, async () => {
        while (next < HTTP_EVENTS) {
          const i = next++;
          const result = await http(api.url, 'POST', '/api/events', {
            headers: { 'x-service-key': SERVICE_KEY },
            body: eventAt(i).body,
          });
          if (result.status !== 202) throw new Error(`publish ${i}: ${result.status} ${JSON.stringify(result.body)}`);
          accepted += 1;
        }
      }),
    );
    for (let from = HTTP_EVENTS; from < EVENTS; from += IN_PROCESS_BATCH) {
      const batch = Array.from({ length: Math.min(IN_PROCESS_BATCH, EVENTS - from) }, (_, k) => {
        const { event, target, data } = eventAt(from + k);
        return { event, target, data };
      });
      const outcome = await api.publish(batch);
      if (outcome.failed > 0) throw new Error(`in-process publish: ${outcome.errors.join('; ')}`);
      accepted += outcome.published;
      // Let the sockets drain between batches, as a stream of publishes would.
      await sleep(20);
    }
    const publishMs = Date.now() - started;
    // Every user-addressed notification reaches its user (so "no violation" is not "nothing arrived").
    const deadline = Date.now() + 30_000;
    while (
      Date.now() < deadline &&
      members.some((m) => m.userNotifications - (userBefore.get(m) ?? 0) < (expectedUser.get(m) ?? 0))
    ) {
      await sleep(100);
    }
    await sleep(500);
    const delivered = members.reduce((sum, m) => sum + m.received, 0) - before;
    const violations = members.flatMap((m) => m.violations);
    const missingUser = members.reduce(
      (sum, m) => sum + Math.max(0, (expectedUser.get(m) ?? 0) - (m.userNotifications - (userBefore.get(m) ?? 0))),
      0,
    );
    recordFigures('attacks: authz matrix', {
      tenants: TENANTS.length,
      roles: ROLES.length,
      sockets: members.length,
      refusalsChecked: Object.values(refusals).reduce((a, b) => a + b, 0),
      eventsPublished: accepted,
      deliveriesChecked: delivered,
      crossTenantOrUser: violations.length,
      userNotificationsMissing: missingUser,
      overHttp: Math.min(HTTP_EVENTS, accepted),
      publishPerSecond: Math.round(accepted / (publishMs / 1000)),
    });
    expect(accepted).toBe(EVENTS);
    expect(delivered).toBeGreaterThanOrEqual(MIN_DELIVERIES);
    expect(violations).toEqual([]);
    expect(missingUser).toBe(0);
    expect(api.crashes).toEqual([]);
  });
});
