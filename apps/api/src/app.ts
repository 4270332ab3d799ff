import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Registry } from 'prom-client';
import { ApiError, errorHandler } from './http/errors.js';
import { apiRoutes, type RouteDeps } from './http/routes.js';
import type { Store } from './store/index.js';

export type AppDeps = RouteDeps & { logger: Logger; registry: Registry; store: Store };

/** The Express app: REST API, health and metrics, and in production the built dashboard. */
export function createApp(deps: AppDeps): Express {
  const { config, logger, registry, store } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'connect-src': ["'self'", 'ws:', 'wss:'], 'img-src': ["'self'", 'data:'] },
      },
    }),
  );
  app.use(
    pinoHttp({
      logger,
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      redact: ['req.headers.authorization', 'req.headers["x-service-key"]', 'req.headers.cookie'],
    }),
  );
  app.use(express.json({ limit: '64kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await store.ping();
      res.json({ status: 'ok', checks: { store: 'ok' } });
    } catch {
      res.status(503).json({ status: 'down', checks: { store: 'down' } });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  app.use('/api', apiRoutes(deps));

  const dist = config.dashboardDist ? resolve(config.dashboardDist) : undefined;
  if (dist && existsSync(join(dist, 'index.html'))) {
    app.use(express.static(dist, { index: false, maxAge: '1h' }));
    // Client-side routes get the app shell.
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => {
      res.sendFile(join(dist, 'index.html'));
    });
  }

  app.use((_req, _res, next) => next(new ApiError('NOT_FOUND', 'not found')));
  app.use(errorHandler(logger));
  return app;
}
