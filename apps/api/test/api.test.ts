import {
  AlertsResponse,
  ApiErrorResponse,
  DashboardSnapshot,
  KpiSnapshot,
  NotificationsPage,
  NotificationsRead,
  PresenceResponse,
  PublishEventResponse,
  RealtimeStats,
  UserProfile,
} from '@org/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  connect,
  login,
  removeDir,
  request,
  SERVICE_KEY,
  startApi,
  type TestApi,
  waitFor,
} from './harness.js';

let api: TestApi;

beforeAll(async () => {
  api = await startApi();
  await api.simulator.tick();
});

afterAll(async () => {
  await api.close();
  removeDir(api.dataDir);
});

const notificationBody = (
  tenantId: string,
  title: string,
  audience: object = { kind: 'role', role: 'UNDERWRITER' },
) => ({
  event: 'notification:new',
  tenantId,
  audience,
  data: { severity: 'warning', title, body: 'Needs a look' },
});

describe('auth', () => {
  it('signs in a demo user and answers /api/me with its profile', async () => {
    const session = await login(api, 'underwriter@acme-lending');
    expect(session.user).toMatchObject({
      tenantId: 'acme-lending',
      roles: ['UNDERWRITER'],
      modules: ['lending', 'risk'],
    });
    const me = await request(api, 'GET', '/api/me', { token: session.accessToken });
    expect(UserProfile.parse(me.body).userId).toBe(session.user.userId);
  });

  it('refuses a wrong password, a missing token and a forged token with typed errors', async () => {
    const wrong = await request(api, 'POST', '/api/auth/login', {
      body: { username: 'admin@acme-lending', password: 'nope' },
    });
    expect(wrong.status).toBe(401);
    expect(ApiErrorResponse.parse(wrong.body).error.code).toBe('UNAUTHORIZED');
    expect((await request(api, 'GET', '/api/me')).status).toBe(401);
    const forged = await request(api, 'GET', '/api/me', { token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    expect(forged.status).toBe(401);
  });

  it('refreshes a token', async () => {
    const session = await login(api, 'risk@globex-pay');
    const refreshed = await request(api, 'POST', '/api/auth/refresh', { token: session.accessToken });
    expect(refreshed.status).toBe(200);
    expect((refreshed.body as { user: { userId: string } }).user.userId).toBe(session.user.userId);
  });

  it('answers malformed JSON with INVALID_PAYLOAD and an oversized body with PAYLOAD_TOO_LARGE', async () => {
    const malformed = await request(api, 'POST', '/api/auth/login', { body: '{"username":' });
    expect(malformed.status).toBe(400);
    expect(ApiErrorResponse.parse(malformed.body).error.code).toBe('INVALID_PAYLOAD');
    const huge = await request(api, 'POST', '/api/auth/login', {
      body: { username: 'x'.repeat(100_000), password: 'y' },
    });
    expect(huge.status).toBe(413);
  });
});

describe('KPIs and dashboard', () => {
  it('serves the snapshot of a module the role may see, with its stream position', async () => {
    const { accessToken } = await login(api, 'underwriter@acme-lending');
    const { status, body } = await request(api, 'GET', '/api/kpis?module=lending', { token: accessToken });
    expect(status).toBe(200);
    const snapshot = KpiSnapshot.parse(body);
    expect(snapshot.kpis.length).toBeGreaterThan(0);
    expect(snapshot.kpis.every((kpi) => kpi.module === 'lending')).toBe(true);
    expect(snapshot.position.stream).toBe('kpi@tenant:acme-lending:module:lending');
  });

  it('refuses a module outside the role and an unknown module', async () => {
    const { accessToken } = await login(api, 'underwriter@acme-lending');
    const forbidden = await request(api, 'GET', '/api/kpis?module=payments', { token: accessToken });
    expect(forbidden.status).toBe(403);
    const invalid = await request(api, 'GET', '/api/kpis?module=mortgages', { token: accessToken });
    expect(invalid.status).toBe(400);
    expect(ApiErrorResponse.parse(invalid.body).error.issues?.[0]?.path).toEqual(['module']);
  });

  it("shows each viewer's dashboard only the modules its roles allow", async () => {
    const { accessToken } = await login(api, 'support@acme-lending');
    const snapshot = DashboardSnapshot.parse(
      (await request(api, 'GET', '/api/dashboard', { token: accessToken })).body,
    );
    expect(snapshot.cards.length).toBeGreaterThan(0);
    for (const kpi of [...snapshot.cards, ...snapshot.topKpis]) expect(['support', 'payments']).toContain(kpi.module);
  });

  it('pushes simulated KPI updates to a subscribed socket, in sequence', async () => {
    const { accessToken } = await login(api, 'underwriter@acme-lending');
    const socket = await connect(api, accessToken);
    try {
      const updates = collect(socket, 'kpi:update');
      const ack = await socket.emitWithAck('kpi:subscribe', { module: 'lending' });
      expect(ack.ok).toBe(true);
      // A tick moves each KPI with probability 1/2, so a tick may leave lending untouched; and
      // updates are conflatable, so ticks inside one window may arrive as one frame. Tick until
      // two frames have arrived.
      for (let ticks = 0; ticks < 40 && updates.length < 2; ticks += 1) {
        const before = updates.length;
        await api.simulator.tick();
        await waitFor(() => updates.length > before, 'a KPI update', 300).catch(() => undefined);
      }
      expect(updates.every((u) => u.data.tenantId === 'acme-lending' && u.data.module === 'lending')).toBe(true);
      expect(updates[1]?.seq).toBe((updates[0]?.seq ?? 0) + 1);
    } finally {
      socket.disconnect();
    }
  });
});

describe('POST /api/events', () => {
  it('persists a notification, then delivers it to a real socket of the audience', async () => {
    const { accessToken } = await login(api, 'underwriter@acme-lending');
    const socket = await connect(api, accessToken);
    try {
      const received = collect(socket, 'notification:new');
      const published = await request(api, 'POST', '/api/events', {
        headers: { 'x-service-key': SERVICE_KEY },
        body: notificationBody('acme-lending', 'Application A-77 needs review'),
      });
      expect(published.status).toBe(202);
      const { id } = PublishEventResponse.parse(published.body);
      const envelope = await waitFor(() => received.find((e) => e.data.id === id), 'the notification');
      expect(envelope.data.title).toBe('Application A-77 needs review');
      const page = NotificationsPage.parse(
        (await request(api, 'GET', '/api/notifications', { token: accessToken })).body,
      );
      expect(page.items.map((n) => n.id)).toContain(id);
    } finally {
      socket.disconnect();
    }
  });

  it('refuses a body that breaks the contract with 400 and the zod issues, and a missing or wrong key with 401', async () => {
    const bad = await request(api, 'POST', '/api/events', {
      headers: { 'x-service-key': SERVICE_KEY },
      body: { ...notificationBody('acme-lending', ''), audience: { kind: 'role', role: 'CEO' } },
    });
    expect(bad.status).toBe(400);
    const issues = ApiErrorResponse.parse(bad.body).error.issues ?? [];
    expect(issues.map((issue) => issue.path.join('.'))).toEqual(
      expect.arrayContaining(['audience.role', 'data.title']),
    );
    expect((await request(api, 'POST', '/api/events', { body: notificationBody('acme-lending', 'x') })).status).toBe(
      401,
    );
    const wrongKey = await request(api, 'POST', '/api/events', {
      headers: { 'x-service-key': 'not-the-key-at-all' },
      body: notificationBody('acme-lending', 'x'),
    });
    expect(wrongKey.status).toBe(401);
  });

  it('stores and sends a retried publish once when it carries the same Idempotency-Key', async () => {
    const { accessToken } = await login(api, 'underwriter@acme-lending');
    const socket = await connect(api, accessToken);
    try {
      const received = collect(socket, 'notification:new');
      const publish = (key: string, title: string) =>
        request(api, 'POST', '/api/events', {
          headers: { 'x-service-key': SERVICE_KEY, 'idempotency-key': key },
          body: notificationBody('acme-lending', title),
        });
      const key = `retry-${Date.now()}`;
      const first = await publish(key, 'Sent once, retried twice');
      const retries = [await publish(key, 'Sent once, retried twice'), await publish(key, 'Sent once, retried twice')];
      const other = await publish(`${key}-other`, 'Sent once, retried twice');
      expect([first, ...retries, other].map((r) => r.status)).toEqual([202, 202, 202, 202]);
      const ids = [first, ...retries, other].map((r) => PublishEventResponse.parse(r.body).id);
      expect(new Set(ids.slice(0, 3)).size).toBe(1);
      expect(ids[3]).not.toBe(ids[0]);
      expect(retries.map((r) => r.headers.get('idempotent-replayed'))).toEqual(['true', 'true']);
      expect(first.headers.get('idempotent-replayed')).toBeNull();

      await waitFor(() => received.find((e) => e.data.id === ids[3]), 'the other notification');
      expect(received.filter((e) => e.data.id === ids[0])).toHaveLength(1);
      const page = NotificationsPage.parse(
        (await request(api, 'GET', '/api/notifications?limit=100', { token: accessToken })).body,
      );
      expect(page.items.filter((n) => n.id === ids[0])).toHaveLength(1);

      const badKey = await request(api, 'POST', '/api/events', {
        headers: { 'x-service-key': SERVICE_KEY, 'idempotency-key': 'has spaces in it' },
        body: notificationBody('acme-lending', 'x'),
      });
      expect(badKey.status).toBe(400);
      expect(ApiErrorResponse.parse(badKey.body).error.code).toBe('INVALID_PAYLOAD');
    } finally {
      socket.disconnect();
    }
  });

  it('publishes an alert that a tenant user can acknowledge once', async () => {
    const published = await request(api, 'POST', '/api/events', {
      headers: { 'x-service-key': SERVICE_KEY },
      body: {
        event: 'alert:new',
        tenantId: 'acme-lending',
        data: {
          severity: 'critical',
          category: 'payments',
          title: 'Processor down',
          message: 'All card payments failing',
        },
      },
    });
    const id = PublishEventResponse.parse(published.body).id ?? '';
    const { accessToken } = await login(api, 'finance@acme-lending');
    const alerts = AlertsResponse.parse(
      (await request(api, 'GET', '/api/alerts?limit=5', { token: accessToken })).body,
    );
    expect(alerts.items[0]?.id).toBe(id);
    const ack = await request(api, 'POST', `/api/alerts/${id}/ack`, { token: accessToken });
    expect(ack.status).toBe(200);
    const after = AlertsResponse.parse((await request(api, 'GET', '/api/alerts', { token: accessToken })).body);
    expect(after.items.find((a) => a.id === id)?.acknowledgedBy).toBe('acme-lending.finance');
  });
});

describe('notifications and tenancy', () => {
  it('marks read over REST and tells the user’s other connections live', async () => {
    const { accessToken } = await login(api, 'collector@acme-lending');
    const published = await request(api, 'POST', '/api/events', {
      headers: { 'x-service-key': SERVICE_KEY },
      body: notificationBody('acme-lending', 'Borrower promised to pay', { kind: 'role', role: 'COLLECTION_AGENT' }),
    });
    const id = PublishEventResponse.parse(published.body).id ?? '';
    const otherTab = await connect(api, accessToken);
    try {
      const reads = collect(otherTab, 'notification:read');
      const read = await request(api, 'POST', `/api/notifications/${id}/read`, { token: accessToken });
      expect(NotificationsRead.parse(read.body).ids).toEqual([id]);
      await waitFor(() => reads.find((r) => r.data.ids.includes(id)), 'the read event on the other tab');
      const all = NotificationsRead.parse(
        (await request(api, 'POST', '/api/notifications/read-all', { token: accessToken })).body,
      );
      expect(all.unreadCount).toBe(0);
      const count = await request(api, 'GET', '/api/notifications/unread-count', { token: accessToken });
      expect(count.body).toEqual({ unreadCount: 0 });
    } finally {
      otherTab.disconnect();
    }
  });

  it("never lets a user read, mark or acknowledge another tenant's data", async () => {
    const acmeAlert = PublishEventResponse.parse(
      (
        await request(api, 'POST', '/api/events', {
          headers: { 'x-service-key': SERVICE_KEY },
          body: {
            event: 'alert:new',
            tenantId: 'acme-lending',
            data: { severity: 'info', category: 'risk', title: 'Acme only', message: '' },
          },
        })
      ).body,
    );
    const acmeNote = PublishEventResponse.parse(
      (
        await request(api, 'POST', '/api/events', {
          headers: { 'x-service-key': SERVICE_KEY },
          body: notificationBody('acme-lending', 'Acme secret', { kind: 'tenant' }),
        })
      ).body,
    );
    const { accessToken } = await login(api, 'admin@globex-pay');
    const page = NotificationsPage.parse(
      (await request(api, 'GET', '/api/notifications?limit=100', { token: accessToken })).body,
    );
    expect(page.items.map((n) => n.id)).not.toContain(acmeNote.id);
    expect((await request(api, 'POST', `/api/notifications/${acmeNote.id}/read`, { token: accessToken })).status).toBe(
      404,
    );
    const alerts = AlertsResponse.parse(
      (await request(api, 'GET', '/api/alerts?limit=100', { token: accessToken })).body,
    );
    expect(alerts.items.map((a) => a.id)).not.toContain(acmeAlert.id);
    expect((await request(api, 'POST', `/api/alerts/${acmeAlert.id}/ack`, { token: accessToken })).status).toBe(404);
    // The same requests over the socket get the same typed answer.
    const socket = await connect(api, accessToken);
    try {
      const read = await socket.emitWithAck('notification:markRead', { id: acmeNote.id ?? '' });
      expect(read).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      const ack = await socket.emitWithAck('alert:acknowledge', { id: acmeAlert.id ?? '' });
      expect(ack).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    } finally {
      socket.disconnect();
    }
  });

  it('lets admins (and only admins) read realtime stats, scoped to their tenant', async () => {
    const admin = await login(api, 'admin@globex-pay');
    // Another tenant's risk analyst is online: its role must not show in this admin's figures.
    const outsider = await login(api, 'risk@acme-lending');
    const colleague = await login(api, 'finance@globex-pay');
    const sockets = [await connect(api, outsider.accessToken), await connect(api, colleague.accessToken)];
    try {
      const stats = await request(api, 'GET', '/api/realtime/stats', { token: admin.accessToken });
      expect(stats.status).toBe(200);
      const parsed = RealtimeStats.parse(stats.body);
      expect(Object.keys(parsed.perTenant)).toEqual(['globex-pay']);
      expect(parsed.perRole).toEqual({ FINANCE_MANAGER: 1 });
    } finally {
      for (const socket of sockets) socket.disconnect();
    }
    const agent = await login(api, 'support@globex-pay');
    expect((await request(api, 'GET', '/api/realtime/stats', { token: agent.accessToken })).status).toBe(403);
    expect((await request(api, 'GET', '/api/realtime/presence', { token: agent.accessToken })).status).toBe(403);
  });

  it('shows an admin who is online in its own tenant, and nobody from another', async () => {
    const admin = await login(api, 'admin@globex-pay');
    const colleague = await login(api, 'risk@globex-pay');
    const outsider = await login(api, 'risk@acme-lending');
    const sockets = [await connect(api, colleague.accessToken), await connect(api, outsider.accessToken)];
    try {
      const presence = PresenceResponse.parse(
        (await request(api, 'GET', '/api/realtime/presence', { token: admin.accessToken })).body,
      );
      expect(presence.tenantId).toBe('globex-pay');
      expect(presence.online.map((user) => user.userId)).toEqual([colleague.user.userId]);
    } finally {
      for (const socket of sockets) socket.disconnect();
    }
  });
});

describe('pagination and limits', () => {
  it('pages notifications newest first with a cursor, without duplicates', async () => {
    const { accessToken } = await login(api, 'support@acme-lending');
    for (let i = 0; i < 5; i += 1) {
      await request(api, 'POST', '/api/events', {
        headers: { 'x-service-key': SERVICE_KEY },
        body: notificationBody('acme-lending', `Ticket ${i}`, { kind: 'role', role: 'SUPPORT_AGENT' }),
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page = NotificationsPage.parse(
        (await request(api, 'GET', `/api/notifications${query}`, { token: accessToken })).body,
      );
      seen.push(...page.items.map((n) => n.createdAt + n.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort().reverse()).toEqual(seen);
    const badCursor = await request(api, 'GET', '/api/notifications?cursor=garbage', { token: accessToken });
    expect(badCursor.status).toBe(400);
    // A malformed percent-escape is the client's mistake, not a server error.
    const badEscape = await request(api, 'POST', '/api/notifications/%E0%A4%A/read', { token: accessToken });
    expect(badEscape.status).toBe(400);
    expect(ApiErrorResponse.parse(badEscape.body).error.code).toBe('INVALID_PAYLOAD');
  });

  it('limits failed sign-in attempts per address and username with RATE_LIMITED', async () => {
    const attempts = [];
    for (let i = 0; i < 12; i += 1) {
      attempts.push(
        await request(api, 'POST', '/api/auth/login', {
          body: { username: 'intruder@acme-lending', password: `guess-${i}` },
        }),
      );
    }
    expect(attempts.slice(0, 10).every((a) => a.status === 401)).toBe(true);
    expect(attempts.slice(10).map((a) => ApiErrorResponse.parse(a.body).error.code)).toEqual([
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    // Another user from the same address can still sign in.
    await expect(login(api, 'finance@globex-pay')).resolves.toMatchObject({ user: { tenantId: 'globex-pay' } });
  });
});

describe('operations endpoints', () => {
  it('answers health, readiness, metrics and the AsyncAPI document', async () => {
    expect((await request(api, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(api, 'GET', '/readyz')).status).toBe(200);
    const metrics = await fetch(`${api.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/process_cpu_user_seconds_total/);
    const doc = (await request(api, 'GET', '/api/asyncapi.json')).body as { asyncapi: string };
    expect(doc.asyncapi).toBe('3.0.0');
    const page = await fetch(`${api.url}/api/docs`).then((r) => r.text());
    expect(page).toContain('kpi:update');
  });
});
