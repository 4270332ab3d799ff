import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createJwtVerifier, createRealtimeServer, type RealtimeServer } from '@org/realtime-server';
import { type Logger, pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApp } from './app.js';
import { demoAccounts, demoTenants } from './auth/demoUsers.js';
import { createTokenIssuer, TOKEN_AUDIENCE, TOKEN_ISSUER } from './auth/tokens.js';
import type { Config } from './config.js';
import { createServices, type Services } from './services.js';
import { createSimulator, type Simulator } from './simulator/simulator.js';
import { createStore, type Store } from './store/index.js';

/** How long requests in flight may take to answer once shutdown starts. */
const SHUTDOWN_GRACE_MS = 5_000;

export type ApiServer = {
  httpServer: Server;
  realtime: RealtimeServer;
  store: Store;
  services: Services;
  simulator: Simulator;
  logger: Logger;
  /** Starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  /**
   * Graceful shutdown: stop the simulator, stop accepting, disconnect sockets, let requests in
   * flight answer (up to 5 s), close the store.
   */
  close(): Promise<void>;
};

/** Wires store, realtime server, services, simulator and the Express app onto one http server. */
export async function createApiServer(
  config: Config,
  options: { store?: Store; logger?: Logger } = {},
): Promise<ApiServer> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'api' } });
  const store =
    options.store ??
    (await createStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }));
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpServer = createServer();
  const tokens = createTokenIssuer(config.jwtSecret, config.jwtTtlSeconds);
  let services: Services | undefined;
  const ready = () => {
    if (!services) throw new Error('services not ready');
    return services;
  };
  const realtime = createRealtimeServer({
    httpServer,
    verifyToken: createJwtVerifier({ secret: config.jwtSecret }, { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE }),
    cors: { origins: config.corsOrigins },
    ...(config.redisUrl && { redis: { url: config.redisUrl } }),
    logger: logger.child({ component: 'realtime' }),
    metrics: { registry },
    handlers: {
      'notification:markRead': (request, { session }) => ready().markRead(session, request.id),
      'notification:markAllRead': (_request, { session }) => ready().markAllRead(session),
      'alert:acknowledge': (request, { session }) => ready().acknowledgeAlert(session, request.id),
    },
  });
  services = createServices(store, realtime);

  const app = createApp({ config, logger, registry, store, services, realtime, tokens, accounts: demoAccounts });
  httpServer.on('request', app);

  const simulator = createSimulator({
    tenants: demoTenants,
    intervalMs: config.simulatorIntervalMs,
    services,
    store,
    logger: logger.child({ component: 'simulator' }),
  });

  return {
    httpServer,
    realtime,
    store,
    services,
    simulator,
    logger,
    listen: () =>
      new Promise((resolveUrl, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          const { port } = httpServer.address() as AddressInfo;
          if (config.simulator) simulator.start();
          resolveUrl(`http://${config.host}:${port}`);
        });
      }),
    async close() {
      await simulator.stop();
      // Stop accepting, but let requests already in flight finish: a publish that was persisted
      // must get its answer, or its caller retries and it is stored twice. Idle keep-alive
      // connections close now; whatever still runs after the grace period is cut.
      const drained = httpServer.listening
        ? new Promise<void>((done) => httpServer.close(() => done()))
        : Promise.resolve();
      httpServer.closeIdleConnections();
      await realtime.close();
      // A connection that answered its last request is idle: close it rather than wait for the
      // client to (keep-alive).
      const sweep = setInterval(() => httpServer.closeIdleConnections(), 50);
      const cut = setTimeout(() => httpServer.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await drained;
      clearInterval(sweep);
      clearTimeout(cut);
      await store.close();
    },
  };
}
