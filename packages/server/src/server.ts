import type { IncomingMessage } from 'node:http';
import {
  type Channel,
  ConnectErrorData,
  modulesForRoles,
  PROTOCOL_VERSION,
  type PresenceUpdate,
  type PublishableEventName,
  parseRoom,
  type RealtimeStats,
  rooms,
  type ServerEventData,
  type Target,
  type TargetFor,
  type TenantId,
} from '@org/contracts';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { type Logger, pino } from 'pino';
import { createClient } from 'redis';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import { authenticateHandshake, type ConnectRefusal, ConnectRefusedError } from './auth.js';
import { RealtimeMetrics } from './metrics.js';
import { PresenceTracker, presenceOf } from './presence.js';
import { type Published, Publisher } from './publisher.js';
import { ConnectionRateLimiter, SocketRateLimiter } from './rateLimit.js';
import { BUILT_IN_REQUESTS, installRequestPipeline } from './requests.js';
import { StreamLog } from './streams.js';
import type { NodeStats, RealtimeIo, RealtimeServerOptions, SocketData } from './types.js';

export interface RealtimeServer {
  io: RealtimeIo;
  /** Resolves once the server can accept connections (immediately without Redis). */
  ready: Promise<void>;
  /** Validates data once, wraps it in the envelope {id, stream, seq, ts, data}, sends it to the target's room. */
  publish<E extends PublishableEventName>(event: E, target: TargetFor<E>, data: ServerEventData<E>): Published;
  /** Where a stream stands now (for REST snapshots to embed), e.g. `position('kpi', {kind:'module', tenantId, module})`. */
  position(channel: Channel, target: Target): { stream: string; seq: number };
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
} as const;

/** Longest delay `setTimeout` accepts. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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

function emptyStats(): RealtimeStats {
  return {
    connections: 0,
    uniqueUsers: 0,
    perTenant: {},
    perRole: {},
    rooms: 0,
    eventsIn: 0,
    eventsOut: 0,
    rejections: {},
  };
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
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

  const serverOptions: Partial<ServerOptions> = {
    serveClient: false,
    maxHttpBufferSize: limits.maxPayloadBytes,
    cors: { origin: origins === '*' ? '*' : (origins ?? false), methods: ['GET', 'POST'] },
    allowRequest: (request, callback) => {
      if (originAllowed(request, origins)) return callback(null, true);
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
  let ready: Promise<void> = Promise.resolve();
  if (options.redis) {
    redis = createClient({ url: options.redis.url });
    redis.on('error', (error: unknown) => logger.error({ code: 'UNAVAILABLE', err: error }, 'redis error'));
    // connect() marks the client open at once, so commands the adapter sends meanwhile are queued.
    ready = redis.connect().then(() => undefined);
    ready.catch((error: unknown) => logger.error({ code: 'UNAVAILABLE', err: error }, 'redis connection failed'));
    serverOptions.adapter = createAdapter(redis) as unknown as ServerOptions['adapter'];
  }

  const ignored = Object.keys(options.handlers ?? {}).filter((event) => BUILT_IN_REQUESTS.has(event));
  if (ignored.length > 0) logger.warn({ events: ignored }, 'handlers for built-in requests are ignored');

  const io: RealtimeIo = new Server(options.httpServer, serverOptions);
  const publisher = new Publisher(
    io,
    log,
    metrics,
    options.conflation === false ? undefined : (options.conflation?.windowMs ?? DEFAULTS.conflationWindowMs),
    // With several nodes, every node keeps every stream, so a client may resume on any of them.
    redis ? (entry) => io.serverSideEmit('realtime:stream-entry', entry) : undefined,
  );
  io.on('realtime:stream-entry', (entry) => log.observe(entry));
  const connectionLimiter = new ConnectionRateLimiter(limits.connectionsPerMinutePerIp);
  const rateLimiter = new SocketRateLimiter({ eventsPerSecond: limits.eventsPerSecond, burst: limits.burst });
  const presence = new PresenceTracker(
    io,
    (update) =>
      publisher.publish('presence:update', { kind: 'role', tenantId: update.tenantId, role: 'ADMIN' }, update),
    logger,
  );
  const expiryTimers = new Map<string, NodeJS.Timeout>();
  const pruneTimer = setInterval(() => log.prune(), log.pruneIntervalMs);
  pruneTimer.unref();

  const refuse = (refusal: ConnectRefusal): ConnectRefusedError => {
    metrics.rejection(refusal.code);
    logger.info({ code: refusal.code, reason: refusal.reason }, 'connection refused');
    ConnectErrorData.parse(refusal); // the contract's fields are there; `reason` rides along
    return new ConnectRefusedError(refusal);
  };

  // Runs on every connection, reconnection and connection-state recovery (skipMiddlewares: false).
  io.use(async (socket, next) => {
    try {
      await ready;
    } catch {
      return next(
        refuse({ code: 'UNAVAILABLE', message: 'The server is not ready', retryable: true, reason: 'unavailable' }),
      );
    }
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
    const outcome = await authenticateHandshake(socket.handshake.auth, options.verifyToken);
    if (!outcome.ok) return next(refuse(outcome.refusal));
    socket.data = { session: outcome.session, connectedAt: Date.now() };
    next();
  });

  const endSession = (socket: Socket, code: 'TOKEN_EXPIRED' | 'RATE_LIMITED' | 'UNAUTHORIZED', message: string) => {
    if (!socket.connected) return;
    publisher.emitToSocket(socket, 'session:ended', { code, message });
    metrics.rejection(code);
    logger.info({ code, socketId: socket.id }, 'session ended');
    socket.disconnect(true);
  };

  const scheduleExpiry = (socket: Socket, expiresAt: number) => {
    const delay = expiresAt - Date.now();
    const timer = setTimeout(
      () => {
        if (expiresAt > Date.now()) return scheduleExpiry(socket, expiresAt);
        endSession(socket, 'TOKEN_EXPIRED', 'The token has expired; reconnect with a fresh token');
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    expiryTimers.set(socket.id, timer);
  };

  io.on('connection', (socket) => {
    const data: SocketData = socket.data;
    const { session } = data;
    const allowedModules = modulesForRoles(session.roles);
    if (socket.recovered) {
      // Restored rooms came from the previous session: keep only what the fresh token still allows.
      for (const room of socket.rooms) {
        const parsed = parseRoom(room);
        const keep =
          parsed?.kind === 'module' &&
          parsed.tenantId === session.tenantId &&
          allowedModules.includes(parsed.module as never);
        const keepDashboard =
          parsed?.kind === 'dashboard' &&
          parsed.tenantId === session.tenantId &&
          session.roles.includes(parsed.role as never);
        if (room !== socket.id && !keep && !keepDashboard) socket.leave(room);
      }
    }
    socket.join([
      rooms.user(session.tenantId, session.userId),
      rooms.tenant(session.tenantId),
      ...session.roles.map((role) => rooms.role(session.tenantId, role)),
      rooms.system(),
    ]);
    metrics.connected(io.of('/').sockets.size);
    logger.debug({ socketId: socket.id, tenantId: session.tenantId, userId: session.userId }, 'connected');

    installRequestPipeline(socket as never, {
      publisher,
      log,
      metrics,
      logger,
      handlers: options.handlers ?? {},
      rateLimiter,
      maxViolations: limits.maxViolations,
      endSession: (target, code, message) => endSession(target as unknown as Socket, code, message),
    });
    if (session.expiresAt !== null) scheduleExpiry(socket, session.expiresAt);

    socket.on('disconnect', (reason, description) => {
      // An oversized packet makes the transport fail (WebSocket close 1009 / HTTP 413); nothing is parsed.
      if (
        reason === 'transport error' &&
        /payload|too large/i.test(String((description as Error | undefined)?.message))
      ) {
        metrics.rejection('PAYLOAD_TOO_LARGE');
        logger.warn(
          { code: 'PAYLOAD_TOO_LARGE', socketId: socket.id, limit: limits.maxPayloadBytes },
          'packet over the size cap',
        );
      }
      clearTimeout(expiryTimers.get(socket.id));
      expiryTimers.delete(socket.id);
      void rateLimiter.forget(socket.id);
      metrics.connected(io.of('/').sockets.size);
      logger.debug({ socketId: socket.id, reason }, 'disconnected');
      presence.changed(session.tenantId);
    });

    publisher.emitToSocket(socket, 'session:ready', {
      protocolVersion: PROTOCOL_VERSION,
      serverTime: Date.now(),
      userId: session.userId,
      tenantId: session.tenantId,
      roles: session.roles,
      modules: allowedModules,
      expiresAt: session.expiresAt,
    });
    presence.changed(session.tenantId);
  });

  const nodeStats = (): NodeStats => {
    const stats = { ...emptyStats(), ...metrics.counters() };
    const users = new Set<string>();
    for (const socket of io.of('/').sockets.values()) {
      const { session } = socket.data;
      if (!session) continue;
      stats.connections += 1;
      users.add(`${session.tenantId}/${session.userId}`);
      stats.perTenant[session.tenantId] = (stats.perTenant[session.tenantId] ?? 0) + 1;
      for (const role of session.roles) stats.perRole[role] = (stats.perRole[role] ?? 0) + 1;
    }
    const adapter = io.of('/').adapter;
    const roomNames = [...adapter.rooms.keys()].filter((room) => !adapter.sids.has(room));
    return { ...stats, uniqueUsers: users.size, rooms: roomNames.length, users: [...users], roomNames };
  };
  io.on('realtime:stats', (ack) => ack(nodeStats()));

  const toStats = ({ users: _users, roomNames: _rooms, ...stats }: NodeStats): RealtimeStats => stats;

  let closing: Promise<void> | undefined;
  return {
    io,
    ready,
    metrics: metrics.registry,
    publish: (event, target, payload) => publisher.publish(event, target, payload),
    position: (channel, target) => publisher.position(channel, target),
    stats: () => toStats(nodeStats()),
    async statsAcrossNodes() {
      const local = nodeStats();
      if (!redis) return toStats(local);
      const remote = await io.serverSideEmitWithAck('realtime:stats').catch((error: unknown) => {
        logger.warn({ code: 'UNAVAILABLE', err: error }, 'some nodes did not report stats');
        return [] as NodeStats[];
      });
      const total = emptyStats();
      const users = new Set<string>();
      const roomNames = new Set<string>();
      for (const node of [local, ...remote]) {
        total.connections += node.connections;
        total.eventsIn += node.eventsIn;
        total.eventsOut += node.eventsOut;
        addCounts(total.perTenant, node.perTenant);
        addCounts(total.perRole, node.perRole);
        addCounts(total.rejections, node.rejections);
        for (const user of node.users) users.add(user);
        for (const room of node.roomNames) roomNames.add(room);
      }
      return { ...total, uniqueUsers: users.size, rooms: roomNames.size };
    },
    presence: (tenantId) => presenceOf(io, tenantId),
    close() {
      closing ??= (async () => {
        clearInterval(pruneTimer);
        publisher.flushAll();
        await presence.close();
        for (const timer of expiryTimers.values()) clearTimeout(timer);
        expiryTimers.clear();
        io.disconnectSockets(true);
        // Not io.close(): that would also close the http server, which belongs to the caller.
        io.engine.close();
        await io.of('/').adapter.close();
        metrics.dispose();
        if (redis) {
          await ready.catch(() => undefined);
          await redis.close();
        }
      })();
      return closing;
    },
  };
}
