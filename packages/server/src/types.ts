import type { Server as HttpServer } from 'node:http';
import type {
  ClientEventName,
  ClientEventResponse,
  ClientEvents,
  ClientToServerEvents,
  RealtimeStats,
  ServerToClientEvents,
} from '@org/contracts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import type { VerifiedSession, VerifyToken } from './auth.js';
import type { ReplayOptions } from './streams.js';

/** What the server keeps on each socket (`socket.data`). */
export type SocketData = {
  session: VerifiedSession;
  /** When this socket connected (epoch ms). */
  connectedAt: number;
};

/** What one node reports to the others when stats are gathered across nodes. */
export type NodeStats = RealtimeStats & { users: string[]; roomNames: string[] };

/** Events the server nodes exchange among themselves (through the adapter). */
export type InterServerEvents = {
  'realtime:stats': (ack: (stats: NodeStats) => void) => void;
};

export type RealtimeIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What a request handler knows about the caller. */
export type RequestContext = { session: VerifiedSession; socketId: string };

/**
 * App-provided handlers for requests that need the app's data (mark read, acknowledge alert),
 * typed from the catalog. The request is already parsed by its schema when a handler runs; the
 * response is checked against the catalog before it is acked. Throw a `RealtimeError` to answer
 * with a typed error. Subscriptions, `ping` and `stream:resume` are built in (handlers for them are
 * ignored).
 */
export type RequestHandlers = {
  [E in ClientEventName]?: (
    request: z.output<ClientEvents[E]['request']>,
    ctx: RequestContext,
  ) => Promise<ClientEventResponse<E>>;
};

/** Abuse limits. */
export type RealtimeLimits = {
  /** Largest packet a client may send, in bytes (Socket.IO's `maxHttpBufferSize`). Default 16 KiB. */
  maxPayloadBytes?: number;
  /** Sustained requests per second per socket. Default 20. */
  eventsPerSecond?: number;
  /** Extra requests a socket may send in a burst (over 10 s) beyond `eventsPerSecond`. Default 40. */
  burst?: number;
  /** Rate-limited requests after which the socket is disconnected (`session:ended` RATE_LIMITED). Default 20. */
  maxViolations?: number;
  /** Connection attempts per client IP per minute. Default 120. */
  connectionsPerMinutePerIp?: number;
};

export type RealtimeServerOptions = {
  /** Any Node `http.Server` (Express, Fastify, plain `node:http`); Socket.IO attaches to it. */
  httpServer: HttpServer;
  /** Verifies the handshake token; run on every connection and every reconnect. */
  verifyToken: VerifyToken;
  /** Handlers for requests that need the app's data. */
  handlers?: RequestHandlers;
  /** Allowed browser origins (checked for polling and WebSocket alike). Default: none but same-origin/non-browser. */
  cors?: { origins: string[] | '*' };
  limits?: RealtimeLimits;
  /**
   * Coalesce conflatable events (`kpi:update`: latest value per KPI key; `dashboard:update`: latest
   * wins) per stream within `windowMs`. Adds at most `windowMs` of delay. Default `{ windowMs: 50 }`.
   */
  conflation?: { windowMs: number } | false;
  /** Per-stream replay buffer for `stream:resume`. */
  replay?: ReplayOptions;
  /**
   * Several nodes over Redis: rooms, presence and stats through the Redis Streams adapter; stream
   * numbers from a shared counter; every emitted event shared with the other nodes. While Redis is
   * down each node keeps serving its own clients. Omitted: one node, in memory.
   */
  redis?: {
    url: string;
    /**
     * How long an event that arrives ahead of a missing number waits for it, so that publishes on
     * one stream from two nodes at once reach clients in order. Default 100 ms.
     */
    reorderWindowMs?: number;
  };
  /**
   * Socket.IO connection-state recovery (the auth middleware still runs on every recovery), for
   * one node only (refused with `redis`). Default: off; `stream:resume` is the recovery mechanism.
   */
  connectionStateRecovery?: { maxDisconnectionDurationMs: number } | false;
  /** Default: pino at `info`. Tokens are never logged. */
  logger?: Logger;
  /** Prometheus metrics; registered on `registry` (default: a new registry, see `RealtimeServer.metrics`). */
  metrics?: { registry?: Registry; prefix?: string };
};
