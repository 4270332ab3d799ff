import { createHash } from 'node:crypto';
import {
  AlertsQuery,
  buildAsyncApiDocument,
  EntityId,
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKey,
  KpiQuery,
  LoginRequest,
  type LoginResponse,
  modulesForRoles,
  NotificationsQuery,
  type Principal,
  PublishEventRequest,
  type PublishEventResponse,
  type RealtimeStats,
  type UserProfile,
} from '@org/contracts';
import type { RealtimeServer } from '@org/realtime-server';
import { Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Account } from '../auth/demoUsers.js';
import type { TokenIssuer } from '../auth/tokens.js';
import type { Config } from '../config.js';
import type { Services } from '../services.js';
import type { Store } from '../store/index.js';
import { principalOf, requireRole, requireServiceKey, requireUser } from './auth.js';
import { renderCatalogPage } from './catalogPage.js';
import { ApiError, parseInput } from './errors.js';

/** The id an idempotent publish is stored under (an `EntityId`: `k` and 43 base64url characters). */
function idempotentId(event: string, tenantId: string | null, key: string): string {
  return `k${createHash('sha256')
    .update(`${event}\n${tenantId ?? ''}\n${key}`)
    .digest('base64url')}`;
}

export type RouteDeps = {
  config: Config;
  store: Store;
  services: Services;
  realtime: RealtimeServer;
  tokens: TokenIssuer;
  accounts: Account[];
};

const idParam = (value: unknown) => parseInput(EntityId, value, 'id');

export function apiRoutes({ config, store, services, realtime, tokens, accounts }: RouteDeps): Router {
  const router = Router();
  const authed = requireUser(tokens);

  const profileOf = (principal: Principal): UserProfile => {
    const account = accounts.find((a) => a.userId === principal.userId && a.tenantId === principal.tenantId);
    return {
      userId: principal.userId,
      tenantId: principal.tenantId,
      roles: principal.roles,
      ...(principal.name !== undefined && { name: principal.name }),
      username: account?.username ?? principal.userId,
      displayName: account?.displayName ?? principal.name ?? principal.userId,
      modules: modulesForRoles(principal.roles),
    };
  };

  const issueFor = async (principal: Principal): Promise<LoginResponse> => {
    const { accessToken, expiresAt } = await tokens.issue(principal);
    return { accessToken, expiresAt, user: profileOf(principal) };
  };

  // ------------------------------------------------------------------ auth
  // Brute force: failed attempts count, per address and username (so one noisy user behind a
  // shared address does not lock out the others), plus a looser cap per address.
  const limited = (_req: unknown, _res: unknown, next: (error: ApiError) => void) =>
    next(new ApiError('RATE_LIMITED', 'too many sign-in attempts; wait a minute'));
  const loginLimiters = [
    rateLimit({
      windowMs: 60_000,
      limit: 10,
      skipSuccessfulRequests: true,
      keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${String(req.body?.username ?? '').toLowerCase()}`,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: limited,
    }),
    rateLimit({
      windowMs: 60_000,
      limit: 100,
      skipSuccessfulRequests: true,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: limited,
    }),
  ];

  router.get('/demo-users', (_req, res) => {
    if (!config.demoMode) throw new ApiError('NOT_FOUND', 'demo mode is off');
    res.json({
      users: accounts.map(({ username, password, displayName, tenantId, roles }) => ({
        username,
        password,
        displayName,
        tenantId,
        roles,
      })),
    });
  });

  router.post('/auth/login', ...loginLimiters, async (req, res) => {
    const { username, password } = parseInput(LoginRequest, req.body, 'login');
    const account = config.demoMode ? accounts.find((a) => a.username === username.toLowerCase()) : undefined;
    if (!account || account.password !== password) throw new ApiError('UNAUTHORIZED', 'wrong username or password');
    res.json(
      await issueFor({
        userId: account.userId,
        tenantId: account.tenantId,
        roles: account.roles,
        name: account.displayName,
      }),
    );
  });

  router.post('/auth/refresh', authed, async (req, res) => {
    const { expiresAt: _expiresAt, ...principal } = principalOf(req);
    res.json(await issueFor(principal));
  });

  router.get('/me', authed, (req, res) => {
    res.json(profileOf(principalOf(req)));
  });

  // ------------------------------------------------------------------ KPIs
  router.get('/kpis', authed, async (req, res) => {
    const { module } = parseInput(KpiQuery, req.query, 'query');
    res.json(await services.kpiSnapshot(principalOf(req), module));
  });

  router.get('/dashboard', authed, async (req, res) => {
    res.json(await services.dashboardSnapshot(principalOf(req)));
  });

  // ------------------------------------------------------------------ alerts
  router.get('/alerts', authed, async (req, res) => {
    const { limit } = parseInput(AlertsQuery, req.query, 'query');
    res.json({ items: await store.listAlerts(principalOf(req), limit) });
  });

  router.post('/alerts/:id/ack', authed, async (req, res) => {
    res.json(await services.acknowledgeAlert(principalOf(req), idParam(req.params.id)));
  });

  // ------------------------------------------------------------------ notifications
  router.get('/notifications', authed, async (req, res) => {
    const query = parseInput(NotificationsQuery, req.query, 'query');
    res.json(await store.listNotifications(principalOf(req), query));
  });

  router.get('/notifications/unread-count', authed, async (req, res) => {
    res.json({ unreadCount: await store.unreadCount(principalOf(req)) });
  });

  router.post('/notifications/read-all', authed, async (req, res) => {
    res.json(await services.markAllRead(principalOf(req)));
  });

  router.post('/notifications/:id/read', authed, async (req, res) => {
    res.json(await services.markRead(principalOf(req), idParam(req.params.id)));
  });

  // ------------------------------------------------------------------ publishing
  router.post('/events', requireServiceKey(config.serviceKey), async (req, res) => {
    const body = parseInput(PublishEventRequest, req.body, 'event');
    const key = req.get(IDEMPOTENCY_KEY_HEADER);
    // A key names one event of one tenant: the stored id is derived from the three.
    const id =
      key === undefined
        ? undefined
        : idempotentId(
            body.event,
            'tenantId' in body ? body.tenantId : null,
            parseInput(IdempotencyKey, key, 'Idempotency-Key header'),
          );
    let response: PublishEventResponse;
    switch (body.event) {
      case 'kpi:update':
        response = { event: body.event, id: null, position: await services.publishKpis(body.data) };
        break;
      case 'dashboard:update':
        response = { event: body.event, id: null, position: await services.publishDashboard(body.data) };
        break;
      case 'notification:new': {
        const published = await services.publishNotification(body.tenantId, body.audience, body.data, id);
        response = { event: body.event, id: published.id, position: published.position };
        if (published.duplicate) res.setHeader('idempotent-replayed', 'true');
        break;
      }
      case 'alert:new': {
        const published = await services.publishAlert(body.tenantId, body.data, id);
        response = { event: body.event, id: published.id, position: published.position };
        if (published.duplicate) res.setHeader('idempotent-replayed', 'true');
        break;
      }
    }
    res.status(202).json(response);
  });

  // ------------------------------------------------------------------ realtime and docs
  router.get('/realtime/stats', authed, requireRole('ADMIN'), async (req, res) => {
    const stats = realtime.stats();
    const { tenantId } = principalOf(req);
    // An admin sees its own tenant's figures, never another tenant's: connections per role are
    // counted from the tenant's own presence, not the node's (which counts every tenant).
    const perRole: Record<string, number> = {};
    for (const user of (await realtime.presence(tenantId)).online) {
      for (const role of user.roles) perRole[role] = (perRole[role] ?? 0) + user.connections;
    }
    const scoped: RealtimeStats = { ...stats, perTenant: { [tenantId]: stats.perTenant[tenantId] ?? 0 }, perRole };
    res.json(scoped);
  });

  router.get('/realtime/presence', authed, requireRole('ADMIN'), async (req, res) => {
    res.json(await realtime.presence(principalOf(req).tenantId));
  });

  router.get('/asyncapi.json', (req, res) => {
    res.json(buildAsyncApiDocument({ serverHost: req.headers.host ?? `${config.host}:${config.port}` }));
  });

  router.get('/docs', (_req, res) => {
    res.type('html').send(renderCatalogPage());
  });

  router.use((_req, _res, next) => next(new ApiError('NOT_FOUND', 'no such endpoint')));
  return router;
}
