import type { IncomingMessage } from 'node:http';
import {
  type Channel,
  ConnectErrorData,
  modulesForRoles,
  PROTOCOL_VERSION,
  type PresenceUpdate,
  type PublishableEventName,
  type RealtimeStats,
  type ServerEventData,
  type Target,
  type TargetFor,
  type TenantId,
} from '@org/contracts';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { type Logger, pino } from 'pino';
import { createClient } from 'redis';
import { type DisconnectReason, Server, type ServerOptions } from 'socket.io';
import { authenticateHandshake, type ConnectRefusal, ConnectRefusedError, withoutToken } from './auth.js';
import { ClusterLink, LocalSequencer, releaseClient } from './cluster.js';
import { RealtimeMetrics } from './metrics.js';
import { PresenceTracker, presenceOf } from './presence.js';
import { type Published, Publisher } from './publisher.js';
import { ConnectionRateLimiter, SocketRateLimiter } from './rateLimit.js';
import { BUILT_IN_REQUESTS, installRequestPipeline } from './requests.js';
import { baseRooms, pruneRecoveredRooms, SessionExpiry } from './session.js';
import { nodeStats, sumStats, toStats } from './stats.js';
import { StreamLog } from './streams.js';
import type { NodeStats, RealtimeIo, RealtimeServerOptions, RealtimeSocket } from './types.js';

export interface RealtimeServer {
  io: RealtimeIo;
  /**
   * Resolves once Redis is connected (at once without it). Connections are accepted before: a
   * node serves its own clients while Redis is away.
   */
  ready: Promise<void>;
  /**
   * Validates data once, wraps it in the envelope {id, stream, seq, ts, data}, sends it to the
   * target's room. Resolves once sent (on one node, before it returns; with Redis, once the shared
   * sequence counter answers); rejects with a `RealtimeError` for data the catalog refuses.
   */
  publish<E extends PublishableEventName>(event: E, target: TargetFor<E>, data: ServerEventData<E>): Promise<Published>;
  /** Where a stream stands now (for REST snapshots to embed), e.g. `position('kpi', {kind:'module', tenantId, module})`. */
  position(channel: Channel, target: Target): Promise<{ stream: string; seq: number }>;
  /** This node's connections, users, rooms, and event counters. */
  stats(): RealtimeStats;
  /** The same over every node sharing the adapter (equals `stats()` without Redis). */
  statsAcrossNodes(): Promise<RealtimeStats>;
  /** Who is online in a tenant, across nodes. */
  presence(tenantId: TenantId): Promise<PresenceUpdate>;
  /** Prometheus registry holding this server's metrics. */
  metrics: RealtimeMetrics['registry'];
  /** Flushes pending conflated frames, disconnects every socket, releases Redis; the http server stays open. */
  close(): Promise<void>;
}

const DEFAULTS = {
  maxPayloadBytes: 16 * 1024,
  eventsPerSecond: 20,
  burst: 40,
  maxViolations: 20,
  connectionsPerMinutePerIp: 120,
  conflationWindowMs: 50,
  reorderWindowMs: 100,
} as const;

function originAllowed(request: IncomingMessage, origins: string[] | '*' | undefined): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || origins === '*') return true; // non-browser clients send no Origin
  if (origins?.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** Engine.IO parses the query (`transport`, `sid`) into `_query` before `allowRequest` runs. */
function isWebSocketHandshake(request: IncomingMessage): boolean {
  return (request as IncomingMessage & { _query?: Record<string, string> })._query?.transport === 'websocket';
}

/**
 * Attaches Socket.IO to an http server: authenticated handshakes, tenant-scoped rooms, validated
 * requests, a typed, sequenced, replayable publish API, presence, stats and metrics.
 */
export function createRealtimeServer(options: RealtimeServerOptions): RealtimeServer {
  const logger: Logger = (
    options.logger ?? pino({ level: 'info', redact: ['token', '*.token', 'auth', '*.auth', '*.authorization'] })
  ).child({ component: 'realtime' });
  const limits = { ...DEFAULTS, ...options.limits };
  const metrics = new RealtimeMetrics(options.metrics);
  const log = new StreamLog(options.replay);
  const origins = options.cors?.origins;
  const recovery = options.connectionStateRecovery;
  if (recovery && options.redis) {
    // Over Redis the adapter could only restore what went through its own stream, and events are
    // emitted locally by each node (so that a Redis outage does not stop local delivery).
    throw new TypeError(
      'connectionStateRecovery cannot be combined with redis: clients recover with stream:resume, which works across nodes',
    );
  }

  const serverOptions: Partial<ServerOptions> = {
    serveClient: false,
    maxHttpBufferSize: limits.maxPayloadBytes,
    cors: { origin: origins === '*' ? '*' : (origins ?? false), methods: ['GET', 'POST'] },
    allowRequest: (request, callback) => {
      // A WebSocket handshake (not subject to CORS) goes on to the middleware, which refuses a
      // foreign origin with a typed `connect_error` the client can act on. Long-polling from one
      // ends here with a 403: under CORS a browser could not read a typed answer anyway.
      if (originAllowed(request, origins) || isWebSocketHandshake(request)) return callback(null, true);
      metrics.rejection('FORBIDDEN');
      logger.warn(
        { code: 'FORBIDDEN', reason: 'origin_not_allowed', origin: request.headers.origin },
        'connection refused',
      );
      callback('origin not allowed', false);
    },
    ...(recovery
      ? {
          connectionStateRecovery: {
            maxDisconnectionDuration: recovery.maxDisconnectionDurationMs,
            skipMiddlewares: false,
          },
        }
      : {}),
  };

  let redis: ReturnType<typeof createClient> | undefined;
  let cluster: ClusterLink | undefined;
  let ready: Promise<void> = Promise.resolve();
  if (options.redis) {
    // The adapter carries rooms, presence and stats across nodes; the cluster link numbers streams
    // and shares their entries (see cluster.ts).
    redis = createClient({ url: options.redis.url });
    redis.on('error', (error: unknown) => logger.error({ code: 'UNAVAILABLE', err: error }, 'redis error'));
    cluster = new ClusterLink({
      url: options.redis.url,
      log,
      logger,
      onEntry: (entry) => publisher.deliverShared(entry),
      onBehind: (stream) => publisher.resyncStream(stream),
      onRelinked: () => publisher.resyncFollowed(),
    });
    // connect() marks the client open at once, so commands the adapter sends meanwhile are queued.
    ready = Promise.all([redis.connect(), cluster.connect()]).then(() => undefined);
    ready.catch((error: unknown) => logger.error({ code: 'UNAVAILABLE', err: error }, 'redis connection failed'));
    serverOptions.adapter = createAdapter(redis) as unknown as ServerOptions['adapter'];
  }

  const ignored = Object.keys(options.handlers ?? {}).filter((event) => BUILT_IN_REQUESTS.has(event));
  if (ignored.length > 0) logger.warn({ events: ignored }, 'handlers for built-in requests are ignored');

  const io: RealtimeIo = new Server(options.httpServer, serverOptions);
  const publisher = new Publisher(io, log, {
    sequencer: cluster ?? new LocalSequencer(log),
    metrics,
    conflationWindowMs:
      options.conflation === false ? undefined : (options.conflation?.windowMs ?? DEFAULTS.conflationWindowMs),
    // With several nodes, every node keeps every stream, so a client may resume on any of them.
    onEmitted: cluster ? (entry) => cluster.share(entry) : undefined,
    reorderWindowMs: cluster ? (options.redis?.reorderWindowMs ?? DEFAULTS.reorderWindowMs) : undefined,
  });
  const connectionLimiter = new ConnectionRateLimiter(limits.connectionsPerMinutePerIp);
  const rateLimiter = new SocketRateLimiter({ eventsPerSecond: limits.eventsPerSecond, burst: limits.burst });
  const presence = new PresenceTracker(
    io,
    (update) => {
      publisher
        .publish('presence:update', { kind: 'role', tenantId: update.tenantId, role: 'ADMIN' }, update)
        .catch((error: unknown) => logger.error({ code: 'INTERNAL', err: error }, 'presence not published'));
    },
    logger,
    { singleNode: redis === undefined },
  );
  const pruneTimer = setInterval(() => log.prune(), log.pruneIntervalMs);
  pruneTimer.unref();

  const refuse = (refusal: ConnectRefusal): ConnectRefusedError => {
    metrics.rejection(refusal.code);
    logger.info({ code: refusal.code, reason: refusal.reason }, 'connection refused');
    ConnectErrorData.parse(refusal); // the contract's fields are there; `reason` rides along
    return new ConnectRefusedError(refusal);
  };

  // Runs on every connection, reconnection and connection-state recovery (skipMiddlewares: false).
  // Handshakes do not wait for Redis: a node serves its own clients with or without it.
  io.use(async (socket, next) => {
    if (!(await connectionLimiter.tryConsume(socket.handshake.address))) {
      return next(
        refuse({
          code: 'RATE_LIMITED',
          message: 'Too many connection attempts; retry later',
          retryable: true,
          reason: 'too_many_connections',
        }),
      );
    }
    if (!originAllowed(socket.request, origins)) {
      const origin = String(socket.request.headers.origin).slice(0, 200);
      return next(
        refuse({
          code: 'FORBIDDEN',
          message: `Connections from ${origin} are not allowed; the server's allowed origins must list it`,
          retryable: false,
          reason: 'origin_not_allowed',
        }),
      );
    }
    const outcome = await authenticateHandshake(socket.handshake.auth, options.verifyToken);
    if (!outcome.ok) return next(refuse(outcome.refusal));
    // The token has done its job (a reconnect sends a fresh one): do not hold it for the socket's life.
    socket.handshake.auth = withoutToken(socket.handshake.auth);
    socket.data = { session: outcome.session, connectedAt: Date.now() };
    next();
  });

  const endSession = (socket: RealtimeSocket, code: 'TOKEN_EXPIRED' | 'RATE_LIMITED', message: string) => {
    if (!socket.connected) return;
    publisher.emitToSocket(socket, 'session:ended', { code, message });
    metrics.rejection(code);
    logger.info({ code, socketId: socket.id }, 'session ended');
    socket.disconnect(true);
  };
  const expiry = new SessionExpiry((socket) =>
    endSession(socket, 'TOKEN_EXPIRED', 'The token has expired; reconnect with a fresh token'),
  );

  // One deps object for every socket: the pipeline builds its built-ins once per deps.
  const requestDeps = {
    publisher,
    log,
    metrics,
    logger,
    handlers: options.handlers ?? {},
    rateLimiter,
    maxViolations: limits.maxViolations,
    maxInFlight: limits.eventsPerSecond + limits.burst + limits.maxViolations,
    endSession,
  };

  // One listener for every socket (`this` is the socket): a closure per socket costs ~100 B of heap.
  function onDisconnect(this: RealtimeSocket, reason: DisconnectReason, description?: unknown) {
    const { session } = this.data;
    // An oversized packet makes the transport fail (WebSocket close 1009 / HTTP 413); nothing is parsed.
    if (
      reason === 'transport error' &&
      /payload|too large/i.test(String((description as Error | undefined)?.message))
    ) {
      metrics.rejection('PAYLOAD_TOO_LARGE');
      logger.warn(
        { code: 'PAYLOAD_TOO_LARGE', socketId: this.id, limit: limits.maxPayloadBytes },
        'packet over the size cap',
      );
    }
    expiry.cancel(this, session.expiresAt);
    void rateLimiter.forget(this.id);
    metrics.connected(io.of('/').sockets.size);
    logger.debug({ socketId: this.id, reason }, 'disconnected');
    presence.changed(session.tenantId);
  }

  io.on('connection', (socket) => {
    const { session } = socket.data;
    if (socket.recovered) pruneRecoveredRooms(socket, session);
    socket.join(baseRooms(session));
    metrics.connected(io.of('/').sockets.size);
    logger.debug({ socketId: socket.id, tenantId: session.tenantId, userId: session.userId }, 'connected');

    installRequestPipeline(socket, requestDeps);
    if (session.expiresAt !== null) expiry.schedule(socket, session.expiresAt);

    socket.on('disconnect', onDisconnect);

    publisher.emitToSocket(socket, 'session:ready', {
      protocolVersion: PROTOCOL_VERSION,
      serverTime: Date.now(),
      userId: session.userId,
      tenantId: session.tenantId,
      roles: session.roles,
      modules: modulesForRoles(session.roles),
      expiresAt: session.expiresAt,
    });
    presence.changed(session.tenantId, { adminJoined: session.roles.includes('ADMIN') });
  });

  io.on('realtime:stats', (ack) => ack(nodeStats(io, metrics)));

  let closing: Promise<void> | undefined;
  return {
    io,
    ready,
    metrics: metrics.registry,
    publish: (event, target, payload) => publisher.publish(event, target, payload),
    position: (channel, target) => publisher.position(channel, target),
    stats: () => toStats(nodeStats(io, metrics)),
    async statsAcrossNodes() {
      const local = nodeStats(io, metrics);
      if (!redis) return toStats(local);
      const remote = await io.serverSideEmitWithAck('realtime:stats').catch((error: unknown) => {
        logger.warn({ code: 'UNAVAILABLE', err: error }, 'some nodes did not report stats');
        return [] as NodeStats[];
      });
      return sumStats([local, ...remote]);
    },
    presence: (tenantId) => presenceOf(io, tenantId),
    close() {
      closing ??= (async () => {
        clearInterval(pruneTimer);
        publisher.flushAll();
        await presence.close();
        expiry.cancelAll();
        io.disconnectSockets(true);
        // Not io.close(): that would also close the http server, which belongs to the caller.
        io.engine.close();
        await io.of('/').adapter.close();
        metrics.dispose();
        // Not awaiting `ready`: Redis may never come; a client still connecting is dropped.
        if (redis) await Promise.all([releaseClient(redis), cluster?.close()]);
      })();
      return closing;
    },
  };
}
