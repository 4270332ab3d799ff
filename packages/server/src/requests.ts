import {
  type AckResponse,
  Channel,
  type ClientEventName,
  canAccessModule,
  clientEvents,
  errorBody,
  isClientEventName,
  type Module,
  rooms,
  streamName,
  toErrorIssues,
} from '@org/contracts';
import type { Logger } from 'pino';
import { asRealtimeError, RealtimeError } from './errors.js';
import type { RealtimeMetrics } from './metrics.js';
import type { Publisher } from './publisher.js';
import type { SocketRateLimiter } from './rateLimit.js';
import { sharedRoom } from './session.js';
import type { StreamLog } from './streams.js';
import type { RealtimeSocket, RequestContext, RequestHandlers } from './types.js';

type Ack = (response: AckResponse<unknown>) => void;
type BuiltIn = (request: never, socket: RealtimeSocket) => unknown;

export type RequestDeps = {
  publisher: Publisher;
  log: StreamLog;
  metrics: RealtimeMetrics;
  logger: Logger;
  handlers: RequestHandlers;
  rateLimiter: SocketRateLimiter;
  maxViolations: number;
  /**
   * Requests one socket may have in flight at once. More can only be a flood (the rate limit
   * allows far fewer): the session ends at once, and what the socket sent after is dropped unread.
   */
  maxInFlight: number;
  /** Ends a session (rate-limit abuse). */
  endSession: (socket: RealtimeSocket, code: 'RATE_LIMITED', message: string) => void;
};

async function position(publisher: Publisher, stream: string) {
  return { stream, seq: await publisher.streamPosition(stream) };
}

/** Requests the server answers itself: subscriptions (with the role→module policy), ping, resume. */
function builtIns(deps: RequestDeps): Partial<Record<ClientEventName, BuiltIn>> {
  const { log, publisher } = deps;
  return {
    'kpi:subscribe': async ({ module }: { module: Module }, socket: RealtimeSocket) => {
      const { session } = socket.data;
      if (!canAccessModule(session.roles, module)) {
        throw new RealtimeError('FORBIDDEN', `Your roles do not give access to the ${module} module`);
      }
      const room = sharedRoom(rooms.module(session.tenantId, module));
      socket.join(room);
      return { ...(await position(publisher, streamName('kpi', room))), module };
    },
    'kpi:unsubscribe': ({ module }: { module: Module }, socket: RealtimeSocket) => {
      socket.leave(rooms.module(socket.data.session.tenantId, module));
      return { module };
    },
    'dashboard:subscribe': async (_request: Record<string, never>, socket: RealtimeSocket) => {
      const { session } = socket.data;
      const dashboardRooms = session.roles.map((role) => sharedRoom(rooms.dashboard(session.tenantId, role)));
      socket.join(dashboardRooms);
      return {
        streams: await Promise.all(dashboardRooms.map((room) => position(publisher, streamName('dashboard', room)))),
      };
    },
    'dashboard:unsubscribe': (_request: Record<string, never>, socket: RealtimeSocket) => {
      const { session } = socket.data;
      for (const role of session.roles) socket.leave(rooms.dashboard(session.tenantId, role));
      return {};
    },
    'notifications:subscribe': async (_request: Record<string, never>, socket: RealtimeSocket) => {
      const { session } = socket.data;
      const notificationRooms = [
        rooms.user(session.tenantId, session.userId),
        ...session.roles.map((role) => rooms.role(session.tenantId, role)),
        rooms.tenant(session.tenantId),
      ];
      return {
        streams: await Promise.all(
          notificationRooms.map((room) => position(publisher, streamName('notifications', room))),
        ),
      };
    },
    ping: ({ clientTime }: { clientTime: number }) => ({ clientTime, serverTime: Date.now() }),
    'stream:resume': ({ cursors }: { cursors: Record<string, number> }, socket: RealtimeSocket) => {
      let replayed = 0;
      const resync: string[] = [];
      const now = Date.now();
      for (const [stream, cursor] of Object.entries(cursors)) {
        const at = stream.indexOf('@');
        const channel = Channel.safeParse(stream.slice(0, at));
        const room = stream.slice(at + 1);
        // Only streams of rooms this socket is in: a cursor never reveals another room's events.
        const plan =
          at > 0 && channel.success && socket.rooms.has(room)
            ? log.plan(stream, cursor, now)
            : ({ kind: 'resync', reason: 'unknown_stream' } as const);
        if (plan.kind === 'replay') {
          publisher.replayToSocket(socket, plan.entries);
          replayed += plan.entries.length;
        } else {
          resync.push(stream);
          publisher.emitToSocket(socket, 'stream:resync', { stream, reason: plan.reason });
        }
      }
      return { replayed, resync };
    },
  };
}

/** Requests the server answers itself; app handlers for them are ignored. */
export const BUILT_IN_REQUESTS: ReadonlySet<string> = new Set<ClientEventName>([
  'kpi:subscribe',
  'kpi:unsubscribe',
  'dashboard:subscribe',
  'dashboard:unsubscribe',
  'notifications:subscribe',
  'ping',
  'stream:resume',
]);

/**
 * Installs the inbound pipeline on a socket. For every packet: a missing ack drops it; then the
 * rate limit, the event name, and the request schema are checked, in that order, before any
 * handler runs; the response is checked against the catalog before it is acked.
 */
export function installRequestPipeline(socket: RealtimeSocket, deps: RequestDeps): void {
  let listener = listenerByDeps.get(deps);
  if (!listener) {
    const pipeline = builtIns(deps);
    // One listener for every socket of a server: Socket.IO calls it with `this` set to the socket.
    listener = function (this: RealtimeSocket, event: unknown, ...args: unknown[]) {
      handleRequest(this, deps, pipeline, event, args).catch((error: unknown) => {
        deps.metrics.rejection('INTERNAL');
        deps.logger.error({ code: 'INTERNAL', err: error, socketId: this.id }, 'request pipeline failed');
      });
    };
    listenerByDeps.set(deps, listener);
  }
  socket.onAny(listener);
}

/**
 * The listener and the built-ins close over the server's deps, never over a socket, so they are made
 * once per server (pass the same `deps` object for every socket): per-socket closures cost kilobytes
 * per connection.
 */
const listenerByDeps = new WeakMap<RequestDeps, (this: RealtimeSocket, event: unknown, ...args: unknown[]) => void>();
/** Rate-limited requests per socket (most sockets never have one). */
const violationsBySocket = new WeakMap<RealtimeSocket, number>();
/** Requests dispatched and not yet answered, per socket. */
const inFlightBySocket = new WeakMap<RealtimeSocket, number>();
/** One instance for every rate-limited request: a flood must not pay for a stack trace each. */
const RATE_LIMITED = new RealtimeError('RATE_LIMITED', 'Too many requests; slow down');

function reject(deps: RequestDeps, socket: RealtimeSocket, ack: Ack, event: string, error: RealtimeError): void {
  deps.metrics.rejection(error.code);
  deps.logger.debug({ code: error.code, event, socketId: socket.id }, 'request rejected');
  ack({ ok: false, error: error.toBody() });
}

async function handleRequest(
  socket: RealtimeSocket,
  deps: RequestDeps,
  handled: Partial<Record<ClientEventName, BuiltIn>>,
  event: unknown,
  args: unknown[],
): Promise<void> {
  // Packets of a batch that arrived before the session ended: dropped unread.
  if (!socket.connected) return;
  const inFlight = (inFlightBySocket.get(socket) ?? 0) + 1;
  if (inFlight > deps.maxInFlight) {
    deps.logger.warn({ code: 'RATE_LIMITED', socketId: socket.id, inFlight }, 'session ended for flooding');
    deps.endSession(socket, 'RATE_LIMITED', 'Too many requests; this session was closed');
    return;
  }
  inFlightBySocket.set(socket, inFlight);
  try {
    await answerRequest(socket, deps, handled, event, args);
  } finally {
    inFlightBySocket.set(socket, (inFlightBySocket.get(socket) ?? 1) - 1);
  }
}

async function answerRequest(
  socket: RealtimeSocket,
  deps: RequestDeps,
  handled: Partial<Record<ClientEventName, BuiltIn>>,
  event: unknown,
  args: unknown[],
): Promise<void> {
  const { metrics, logger, handlers, rateLimiter } = deps;
  const name = typeof event === 'string' ? event.slice(0, 100) : String(event);
  const ack = args.at(-1);
  if (typeof ack !== 'function') {
    metrics.rejection('INVALID_PAYLOAD');
    logger.debug(
      { code: 'INVALID_PAYLOAD', reason: 'missing_ack', event: name, socketId: socket.id },
      'request dropped',
    );
    return;
  }
  const respond = ack as Ack;
  if (!(await rateLimiter.tryConsume(socket.id))) {
    const violations = (violationsBySocket.get(socket) ?? 0) + 1;
    violationsBySocket.set(socket, violations);
    reject(deps, socket, respond, name, RATE_LIMITED);
    if (violations >= deps.maxViolations && socket.connected) {
      logger.warn({ code: 'RATE_LIMITED', socketId: socket.id, violations }, 'session ended for flooding');
      deps.endSession(socket, 'RATE_LIMITED', 'Too many requests; this session was closed');
    }
    return;
  }
  if (!isClientEventName(event)) {
    reject(deps, socket, respond, name, new RealtimeError('UNKNOWN_EVENT', `Unknown event ${JSON.stringify(name)}`));
    return;
  }
  metrics.eventIn(event);
  const definition = clientEvents[event];
  const parsed = args.length === 2 ? definition.request.safeParse(args[0]) : undefined;
  if (!parsed?.success) {
    const issues = parsed
      ? toErrorIssues(parsed.error)
      : [{ path: [], message: 'Expected exactly one payload and an ack' }];
    reject(deps, socket, respond, event, new RealtimeError('INVALID_PAYLOAD', `Invalid ${event} request`, { issues }));
    return;
  }
  try {
    const builtIn = handled[event];
    let response: unknown;
    if (builtIn) {
      response = await builtIn(parsed.data as never, socket);
    } else {
      const handler = handlers[event] as ((request: unknown, ctx: RequestContext) => Promise<unknown>) | undefined;
      if (!handler) throw new RealtimeError('UNAVAILABLE', `${event} is not available on this server`);
      response = await handler(parsed.data, { session: socket.data.session, socketId: socket.id });
    }
    const checked = definition.response.safeParse(response);
    if (!checked.success) {
      logger.error(
        { code: 'INTERNAL', event, issues: toErrorIssues(checked.error) },
        'handler response does not match the catalog',
      );
      throw new RealtimeError('INTERNAL', 'The server produced an invalid response');
    }
    respond({ ok: true, data: checked.data });
  } catch (error) {
    const typed = asRealtimeError(error);
    if (typed) {
      reject(deps, socket, respond, event, typed);
      return;
    }
    metrics.rejection('INTERNAL');
    logger.error({ code: 'INTERNAL', event, err: error }, 'request handler failed');
    respond({ ok: false, error: errorBody('INTERNAL', 'Internal error') });
  }
}
