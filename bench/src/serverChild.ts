/**
 * One server under test, in its own process: `full` (this project's stack), `bare` (Socket.IO, no
 * middleware) or `ws` (raw WebSocket, the floor). Listens on 127.0.0.1 on a free port and publishes
 * when the harness asks, so publish times come from the server's own process.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import type { RealtimeServer } from '@org/realtime-server';
import { Registry } from 'prom-client';
import { Server, type ServerOptions } from 'socket.io';
import msgpackParser from 'socket.io-msgpack-parser';
import { WebSocket, WebSocketServer } from 'ws';
import { nowMs } from './clock.js';
import { announce, serveParent } from './ipc.js';
import { JWT_SECRET, kpiUpdate, roomAt } from './payload.js';

export type ServerKind = 'full' | 'bare' | 'ws';

export type ServerConfig = {
  kind: ServerKind;
  /** Full stack: conflation window in ms, or false. */
  conflationMs?: number | false;
  /** Full stack: share rooms over Redis. */
  redisUrl?: string;
  /** Bare Socket.IO: `msgpack` for socket.io-msgpack-parser. */
  parser?: 'json' | 'msgpack';
  /** Per-message deflate (bare Socket.IO and ws), threshold 1 KiB. */
  deflate?: boolean;
};

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const httpServer = createServer();
const deflate = config.deflate ? { threshold: 1024 } : false;

/** Where a publish goes (see `roomAt`). */
type Where = ReturnType<typeof roomAt>;
/** The one module room of every scenario but the steady stream across rooms. */
const ONE_ROOM = roomAt(0, 1);

/**
 * Publishes one event whose KPI values are `publishedAt`. The full stack returns its publish promise
 * (settled once the event is numbered and sent by this process); the baselines send synchronously.
 */
let publishOne: (
  publishedAt: number,
  keys: number,
  offset: number,
  keySpace: number,
  room: Where,
) => Promise<unknown> | undefined;
let connections: () => number;
let framesOut = 0;
let close: () => Promise<void>;

// The two baselines send the same envelope the full stack sends, numbered per stream (room).
const bareSeq = new Map<string, number>();
function bareEnvelope(at: number, keys: number, offset: number, keySpace: number, room: Where) {
  const seq = (bareSeq.get(room.name) ?? 0) + 1;
  bareSeq.set(room.name, seq);
  return {
    id: randomUUID(),
    stream: `kpi@${room.name}`,
    seq,
    ts: Date.now(),
    data: kpiUpdate(at, keys, offset, keySpace, room),
  };
}
let realtime: RealtimeServer | undefined;

if (config.kind === 'full') {
  // BENCH_SERVER_ENTRY: measure another copy of the server (e.g. a candidate fix) under the same harness.
  const { createJwtVerifier, createRealtimeServer } = (await import(
    process.env.BENCH_SERVER_ENTRY ?? '@org/realtime-server'
  )) as typeof import('@org/realtime-server');
  realtime = createRealtimeServer({
    httpServer,
    verifyToken: createJwtVerifier({ secret: JWT_SECRET }),
    metrics: { registry: new Registry() },
    conflation:
      config.conflationMs === false || config.conflationMs === undefined ? false : { windowMs: config.conflationMs },
    // One loopback address opens every connection of the bench.
    limits: { connectionsPerMinutePerIp: 1_000_000_000 },
    ...(config.redisUrl ? { redis: { url: config.redisUrl } } : {}),
  });
  await realtime.ready;
  const server = realtime;
  publishOne = (at, keys, offset, keySpace, room) => {
    const target = { kind: 'module', tenantId: room.tenantId, module: room.module } as const;
    return server.publish('kpi:update', target, kpiUpdate(at, keys, offset, keySpace, room));
  };
  connections = () => server.io.of('/').sockets.size;
  close = () => server.close();
} else if (config.kind === 'bare') {
  const options: Partial<ServerOptions> = { serveClient: false, perMessageDeflate: deflate };
  if (config.parser === 'msgpack') options.parser = msgpackParser;
  const io = new Server(httpServer, options);
  io.on('connection', (socket) => {
    socket.on('join', (room: string, ack?: (reply: unknown) => void) => {
      socket.join(room);
      ack?.({ ok: true });
    });
  });
  publishOne = (at, keys, offset, keySpace, room) => {
    io.to(room.name).emit('kpi:update', bareEnvelope(at, keys, offset, keySpace, room));
    framesOut += 1;
    return undefined;
  };
  connections = () => io.of('/').sockets.size;
  close = async () => {
    io.disconnectSockets(true);
    io.engine.close();
  };
} else {
  const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: deflate });
  // Rooms as a plain ws server keeps them: a set of sockets per room, named in the URL (`/?room=`).
  const members = new Map<string, Set<WebSocket>>();
  wss.on('connection', (socket, request) => {
    const room = new URL(request.url ?? '/', 'http://bench').searchParams.get('room') ?? ONE_ROOM.name;
    let set = members.get(room);
    if (!set) {
      set = new Set();
      members.set(room, set);
    }
    set.add(socket);
    socket.once('close', () => set.delete(socket));
  });
  publishOne = (at, keys, offset, keySpace, room) => {
    const text = JSON.stringify(['kpi:update', bareEnvelope(at, keys, offset, keySpace, room)]);
    for (const client of members.get(room.name) ?? []) if (client.readyState === WebSocket.OPEN) client.send(text);
    framesOut += 1;
    return undefined;
  };
  connections = () => wss.clients.size;
  close = async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
}

await new Promise<void>((resolve) => httpServer.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
const { port } = httpServer.address() as AddressInfo;

let cpuStart = { usage: process.cpuUsage(), at: nowMs() };
/** Garbage-collection pauses since `cpuStart` (a big heap means long major GCs: tail latency). */
let gc = { totalMs: 0, maxMs: 0, count: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.totalMs += entry.duration;
    gc.count += 1;
    if (entry.duration > gc.maxMs) gc.maxMs = entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

function memory() {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let round = 0; round < 3; round += 1) gc?.();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, gcExposed: gc !== undefined };
}

/**
 * Publishes `count` events as fast as the server takes them, one per macrotask, so I/O can
 * interleave as it would in production. Each event is published once the previous one was sent by
 * this process: on one process `publish` sends before it returns, with several it sends once the
 * shared counter answers, so both measure publish→receive the same way (not a queue of the burst).
 */
function burst(count: number, keys: number): Promise<{ publishMs: number }> {
  const started = nowMs();
  return new Promise((resolve, reject) => {
    let sent = 0;
    const step = () => {
      const pending = publishOne(nowMs(), keys, sent, keys, ONE_ROOM);
      sent += 1;
      const next = () => {
        if (sent < count) setImmediate(step);
        else resolve({ publishMs: nowMs() - started });
      };
      if (pending) pending.then(next, reject);
      else next();
    };
    step();
  });
}

/**
 * Publishes `perSecond` events for `durationMs`, on a 10 ms tick, catching up when the tick runs late,
 * but never after `durationMs` (so a saturated server publishes only what it can). With several
 * `rooms`, event n goes to room n mod rooms: each room gets perSecond / rooms events per second.
 *
 * Each event is stamped with the time it was due, not the time the tick got to run: a server busy
 * writing an earlier event delays the tick, and that wait is part of what a client sees (without
 * this, a synchronous server would hide its own queueing from the measure: coordinated omission).
 */
function rate(perSecond: number, durationMs: number, keys: number, keySpace: number, rooms: number) {
  const started = nowMs();
  const targets = Array.from({ length: rooms }, (_, index) => roomAt(index, rooms));
  let published = 0;
  return new Promise<{ published: number; wallMs: number }>((resolve) => {
    const tick = () => {
      const elapsed = nowMs() - started;
      const due = Math.min(
        Math.floor((Math.min(elapsed, durationMs) * perSecond) / 1000) + 1,
        Math.ceil((durationMs * perSecond) / 1000),
      );
      // Never past the deadline: a saturated server publishes what it can, and `published` says so.
      while (published < due && nowMs() - started < durationMs) {
        const dueAt = started + (published * 1000) / perSecond;
        publishOne(dueAt, keys, published * keys, keySpace, targets[published % rooms] as Where)?.catch(
          () => undefined,
        );
        published += 1;
      }
      if (elapsed >= durationMs) resolve({ published, wallMs: nowMs() - started });
      else setTimeout(tick, Math.min(10, 1000 / perSecond));
    };
    tick();
  });
}

let profiler: Session | undefined;

serveParent(async (command) => {
  switch (command.cmd) {
    case 'info':
      return { port, pid: process.pid };
    case 'connections':
      return { connections: connections() };
    case 'memory':
      return { ...memory(), connections: connections() };
    case 'cpuStart':
      cpuStart = { usage: process.cpuUsage(), at: nowMs() };
      gc = { totalMs: 0, maxMs: 0, count: 0 };
      return {};
    case 'cpuStop': {
      const usage = process.cpuUsage(cpuStart.usage);
      const wallMs = nowMs() - cpuStart.at;
      return {
        cpuMs: (usage.user + usage.system) / 1000,
        wallMs,
        cores: (usage.user + usage.system) / 1000 / wallMs,
        gcMs: gc.totalMs,
        gcMaxPauseMs: gc.maxMs,
      };
    }
    case 'burst':
      return burst(Number(command.events), Number(command.keys ?? 1));
    case 'rate':
      return rate(
        Number(command.perSecond),
        Number(command.durationMs),
        Number(command.keys ?? 1),
        Number(command.keySpace ?? 1),
        Math.max(1, Number(command.rooms ?? 1)),
      );
    case 'profileStart': {
      // CPU profile of just what follows (e.g. bursts), unlike --cpu-prof which covers the connects too.
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return {};
    }
    case 'profileStop': {
      if (!profiler) throw new Error('profileStart first');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      writeFileSync(String(command.file), JSON.stringify(profile));
      return { file: command.file };
    }
    case 'heapSnapshot': {
      memory();
      return { file: writeHeapSnapshot(String(command.file)) };
    }
    case 'frames':
      return { framesOut, eventsOut: realtime?.stats().eventsOut ?? framesOut };
    case 'stop':
      await close().catch(() => undefined);
      httpServer.closeAllConnections();
      httpServer.close();
      setTimeout(() => process.exit(0), 50);
      return {};
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
});
announce({ port, pid: process.pid });
