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
import { BARE_ROOM, JWT_SECRET, kpiUpdate, MODULE, TENANT } from './payload.js';

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

let publishOne: (publishedAt: number, keys: number, offset: number, keySpace: number) => void;
let connections: () => number;
let framesOut = 0;
let close: () => Promise<void>;

// The two baselines send the same envelope the full stack sends, numbered on one stream.
let bareSeq = 0;
function bareEnvelope(at: number, keys: number, offset: number, keySpace: number) {
  bareSeq += 1;
  return {
    id: randomUUID(),
    stream: `kpi@${BARE_ROOM}`,
    seq: bareSeq,
    ts: Date.now(),
    data: kpiUpdate(at, keys, offset, keySpace),
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
  const target = { kind: 'module', tenantId: TENANT, module: MODULE } as const;
  publishOne = (at, keys, offset, keySpace) => {
    server.publish('kpi:update', target, kpiUpdate(at, keys, offset, keySpace));
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
  publishOne = (at, keys, offset, keySpace) => {
    io.to(BARE_ROOM).emit('kpi:update', bareEnvelope(at, keys, offset, keySpace));
    framesOut += 1;
  };
  connections = () => io.of('/').sockets.size;
  close = async () => {
    io.disconnectSockets(true);
    io.engine.close();
  };
} else {
  const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: deflate });
  publishOne = (at, keys, offset, keySpace) => {
    const text = JSON.stringify(['kpi:update', bareEnvelope(at, keys, offset, keySpace)]);
    for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(text);
    framesOut += 1;
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

/** Publishes `count` events, one per macrotask, so I/O can interleave as it would in production. */
function burst(count: number, keys: number): Promise<{ publishMs: number }> {
  const started = nowMs();
  return new Promise((resolve) => {
    let sent = 0;
    const step = () => {
      publishOne(nowMs(), keys, sent, keys);
      sent += 1;
      if (sent < count) setImmediate(step);
      else resolve({ publishMs: nowMs() - started });
    };
    step();
  });
}

/**
 * Publishes `perSecond` events for `durationMs`, on a 10 ms tick, catching up when the tick runs late,
 * but never after `durationMs` (so a saturated server publishes only what it can).
 */
function rate(perSecond: number, durationMs: number, keys: number, keySpace: number) {
  const started = nowMs();
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
        publishOne(nowMs(), keys, published * keys, keySpace);
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
