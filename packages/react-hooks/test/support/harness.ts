import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AlertsResponse,
  type DashboardSnapshot,
  type ErrorCode,
  type Kpi,
  type KpiSnapshot,
  type KpiWithHistory,
  type Module,
  type Notification,
  type NotificationsPage,
  type NotificationsRead,
  type Role,
  rooms,
  type SystemAlert,
  streamName,
} from '@org/contracts';
import { createJwtVerifier, createRealtimeServer, RealtimeError, type RealtimeServer } from '@org/realtime-server';
import { SignJWT } from 'jose';

// A real Socket.IO server (`@org/realtime-server`) on one port and a small REST API on another,
// sharing one in-memory state, so that a test can kill and restart the socket side while REST
// stays up. Only what lies outside this package is stood in for: the REST API's store.

type RealtimeOptions = Parameters<typeof createRealtimeServer>[0];
export const silentLogger: NonNullable<RealtimeOptions['logger']> = (() => {
  const logger: Record<string, unknown> = {};
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) logger[level] = () => undefined;
  logger.child = () => logger;
  logger.level = 'silent';
  return logger as unknown as NonNullable<RealtimeOptions['logger']>;
})();

export interface User {
  userId: string;
  tenantId: string;
  roles: Role[];
}

export const alice: User = { userId: 'alice', tenantId: 'acme', roles: ['RISK_ANALYST'] };

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function startHarness(options: { user?: User; failMarkRead?: boolean } = {}) {
  const user = options.user ?? alice;
  const secret = `secret-${randomUUID()}`;
  const key = new TextEncoder().encode(secret);
  const verifyToken = createJwtVerifier({ secret });

  // ------------------------------------------------------------ state (what the API's store would hold)
  const kpis = new Map<Module, KpiWithHistory[]>();
  const dashboardCards = new Map<string, Kpi>();
  const notifications: Notification[] = []; // newest first
  const alerts: SystemAlert[] = []; // newest first
  const lastPosition = new Map<string, number>();
  let realtime: RealtimeServer | undefined;
  let socketHttp: Server | undefined;
  let socketPort = 0;
  const restRequests: string[] = [];

  const kpiStream = (module: Module) => streamName('kpi', rooms.module(user.tenantId, module));
  const position = async (module: Module) => {
    const stream = kpiStream(module);
    const seq = realtime
      ? (await realtime.position('kpi', { kind: 'module', tenantId: user.tenantId, module })).seq
      : (lastPosition.get(stream) ?? 0);
    return { stream, seq };
  };
  function acknowledge(id: string) {
    const alert = alerts.find((item) => item.id === id);
    if (!alert) throw new RealtimeError('NOT_FOUND', 'no such alert');
    alert.acknowledgedAt = new Date().toISOString();
    alert.acknowledgedBy = user.userId;
    const ack = { id, acknowledgedAt: alert.acknowledgedAt, acknowledgedBy: user.userId };
    realtime?.publish('alert:acknowledged', { kind: 'tenant', tenantId: user.tenantId }, ack);
    return ack;
  }
  const unreadCount = () => notifications.filter((item) => item.readAt === null).length;

  function markRead(ids: string[] | 'all'): NotificationsRead {
    const readAt = new Date().toISOString();
    const changed: string[] = [];
    for (const item of notifications) {
      if (item.readAt === null && (ids === 'all' || ids.includes(item.id))) {
        item.readAt = readAt;
        changed.push(item.id);
      }
    }
    const read = { ids: ids === 'all' ? [] : changed, all: ids === 'all', readAt, unreadCount: unreadCount() };
    realtime?.publish('notification:read', { kind: 'user', tenantId: user.tenantId, userId: user.userId }, read);
    return read;
  }

  // ------------------------------------------------------------ tokens
  const signToken = async (expiresInSeconds = 3600) =>
    new SignJWT({ tenantId: user.tenantId, roles: user.roles })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.userId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
      .sign(key);

  // ------------------------------------------------------------ REST
  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const sendError = (res: ServerResponse, status: number, code: ErrorCode, message: string) =>
    sendJson(res, status, { error: { code, message } });

  async function rest(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // A browser (happy-dom here) enforces CORS, as it would for an API on another origin.
    if (req.headers.origin) {
      res.setHeader('access-control-allow-origin', req.headers.origin);
      res.setHeader('access-control-allow-headers', 'authorization, content-type, accept');
      res.setHeader('access-control-allow-methods', 'GET, POST');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      res.end();
      return;
    }
    restRequests.push(`${req.method} ${url.pathname}`);
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    try {
      await verifyToken(token ?? '');
    } catch (error) {
      const code = error instanceof RealtimeError ? error.code : 'UNAUTHORIZED';
      return sendError(res, 401, code, 'bad token');
    }
    const path = url.pathname;
    if (req.method === 'GET' && path === '/api/kpis') {
      const module = url.searchParams.get('module') as Module;
      const snapshot: KpiSnapshot = {
        tenantId: user.tenantId,
        module,
        kpis: kpis.get(module) ?? [],
        position: await position(module),
        asOf: new Date().toISOString(),
      };
      return sendJson(res, 200, snapshot);
    }
    if (req.method === 'GET' && path === '/api/dashboard') {
      const cards = [...dashboardCards.values()];
      const snapshot: DashboardSnapshot = {
        tenantId: user.tenantId,
        cards,
        topKpis: cards,
        updatedAt: new Date().toISOString(),
        positions: await Promise.all(
          user.roles.map(async (role) => {
            const stream = streamName('dashboard', rooms.dashboard(user.tenantId, role));
            const seq = realtime
              ? (await realtime.position('dashboard', { kind: 'dashboard', tenantId: user.tenantId, role })).seq
              : (lastPosition.get(stream) ?? 0);
            return { stream, seq };
          }),
        ),
      };
      return sendJson(res, 200, snapshot);
    }
    if (req.method === 'GET' && path === '/api/notifications') {
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      const items = notifications.slice(offset, offset + limit);
      const page: NotificationsPage = {
        items,
        nextCursor: offset + limit < notifications.length ? String(offset + limit) : null,
        unreadCount: unreadCount(),
      };
      return sendJson(res, 200, page);
    }
    if (req.method === 'GET' && path === '/api/notifications/unread-count') {
      return sendJson(res, 200, { unreadCount: unreadCount() });
    }
    if (req.method === 'POST' && path === '/api/notifications/read-all') return sendJson(res, 200, markRead('all'));
    const readMatch = /^\/api\/notifications\/([^/]+)\/read$/.exec(path);
    if (req.method === 'POST' && readMatch?.[1]) {
      if (options.failMarkRead) return sendError(res, 500, 'INTERNAL', 'store unavailable');
      if (!notifications.some((item) => item.id === readMatch[1]))
        return sendError(res, 404, 'NOT_FOUND', 'no such notification');
      return sendJson(res, 200, markRead([readMatch[1]]));
    }
    if (req.method === 'GET' && path === '/api/alerts') {
      const limit = Number(url.searchParams.get('limit') ?? 10);
      const body: AlertsResponse = { items: alerts.slice(0, limit) };
      return sendJson(res, 200, body);
    }
    const ackMatch = /^\/api\/alerts\/([^/]+)\/ack$/.exec(path);
    if (req.method === 'POST' && ackMatch?.[1]) {
      try {
        return sendJson(res, 200, acknowledge(ackMatch[1]));
      } catch {
        return sendError(res, 404, 'NOT_FOUND', 'no such alert');
      }
    }
    return sendError(res, 404, 'NOT_FOUND', 'not found');
  }

  const restHttp = createServer((req, res) => {
    void rest(req, res);
  });
  await listen(restHttp, 0);

  // ------------------------------------------------------------ socket side (killable)
  async function startSocket() {
    socketHttp = createServer();
    await listen(socketHttp, socketPort);
    socketPort = (socketHttp.address() as AddressInfo).port;
    realtime = createRealtimeServer({
      httpServer: socketHttp,
      verifyToken,
      logger: silentLogger,
      conflation: false,
      handlers: {
        'notification:markRead': async ({ id }) => {
          if (options.failMarkRead) throw new RealtimeError('INTERNAL', 'store unavailable');
          if (!notifications.some((item) => item.id === id))
            throw new RealtimeError('NOT_FOUND', 'no such notification');
          return markRead([id]);
        },
        'notification:markAllRead': async () => markRead('all'),
        'alert:acknowledge': async ({ id }) => acknowledge(id),
      },
    });
    await realtime.ready;
    return realtime;
  }

  async function killSocket() {
    if (!realtime || !socketHttp) return;
    for (const module of kpis.keys()) lastPosition.set(kpiStream(module), (await position(module)).seq);
    const [server, http] = [realtime, socketHttp];
    realtime = undefined;
    socketHttp = undefined;
    await server.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }

  await startSocket();

  return {
    user,
    signToken,
    get realtime() {
      if (!realtime) throw new Error('the socket server is down');
      return realtime;
    },
    get socketUrl() {
      return `http://127.0.0.1:${socketPort}`;
    },
    restUrl: `http://127.0.0.1:${(restHttp.address() as AddressInfo).port}`,
    restRequests,
    startSocket,
    killSocket,
    /** Sets new KPI values in the store and publishes them live (if the socket server is up). */
    updateKpis(module: Module, values: Record<string, number>) {
      const updatedAt = new Date().toISOString();
      const current = kpis.get(module) ?? [];
      const changed: Kpi[] = [];
      for (const [key, value] of Object.entries(values)) {
        const kpi: Kpi = { key, module, label: key, value, unit: 'count', change: null, updatedAt };
        const index = current.findIndex((existing) => existing.key === key);
        const history = [...(current[index]?.history ?? []), value];
        if (index >= 0) current[index] = { ...kpi, history };
        else current.push({ ...kpi, history });
        changed.push(kpi);
      }
      kpis.set(module, current);
      realtime?.publish(
        'kpi:update',
        { kind: 'module', tenantId: user.tenantId, module },
        {
          tenantId: user.tenantId,
          module,
          kpis: changed,
        },
      );
    },
    /** Sets a headline card for a module and publishes the summary of the user's first role. */
    updateDashboard(module: Module, value: number) {
      const card: Kpi = {
        key: `${module}_headline`,
        module,
        label: module,
        value,
        unit: 'count',
        change: null,
        updatedAt: new Date().toISOString(),
      };
      dashboardCards.set(card.key, card);
      const role = user.roles[0] ?? 'ADMIN';
      realtime?.publish(
        'dashboard:update',
        { kind: 'dashboard', tenantId: user.tenantId, role },
        {
          tenantId: user.tenantId,
          role,
          cards: [card],
          topKpis: [card],
          updatedAt: card.updatedAt,
        },
      );
    },
    /** Stores a notification for the user and publishes it live (if the socket server is up). */
    notify(title: string): Notification {
      const notification: Notification = {
        id: uniqueId('n'),
        tenantId: user.tenantId,
        audience: { kind: 'user', userId: user.userId },
        severity: 'info',
        title,
        body: '',
        createdAt: new Date().toISOString(),
        readAt: null,
      };
      notifications.unshift(notification);
      realtime?.publish(
        'notification:new',
        { kind: 'user', tenantId: user.tenantId, userId: user.userId },
        notification,
      );
      return notification;
    },
    raiseAlert(title: string): SystemAlert {
      const alert: SystemAlert = {
        id: uniqueId('a'),
        tenantId: user.tenantId,
        severity: 'warning',
        category: 'risk',
        title,
        message: '',
        createdAt: new Date().toISOString(),
        acknowledgedAt: null,
        acknowledgedBy: null,
      };
      alerts.unshift(alert);
      realtime?.publish('alert:new', { kind: 'tenant', tenantId: user.tenantId }, alert);
      return alert;
    },
    async close() {
      await killSocket();
      restHttp.closeAllConnections();
      await new Promise<void>((resolve) => restHttp.close(() => resolve()));
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
