/**
 * Light load clients in their own process: raw WebSockets speaking just enough Engine.IO v4 /
 * Socket.IO v5 (or plain frames for the raw `ws` server), so the client side costs the same whatever
 * server is measured. Every received KPI value is a publish time; the latency is read from it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import notepack from 'notepack.io';
import { WebSocket } from 'ws';
import { nowMs } from './clock.js';
import { announce, serveParent } from './ipc.js';
import { JWT_SECRET, roomAt } from './payload.js';
import { encodeConnect, encodeEvent, PONG, scanValues, socketIoUrl } from './protocol.js';
import type { ServerKind } from './serverChild.js';
import { Histogram } from './stats.js';

export type LoadConfig = {
  kind: ServerKind;
  /** One port per server process; each room's clients are split evenly over them. */
  ports: number[];
  clients: number;
  /** Client i is in room i mod rooms (see `roomAt`); default 1, one module room. */
  rooms?: number;
  parser?: 'json' | 'msgpack';
  deflate?: boolean;
};

const config = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
const secret = new TextEncoder().encode(JWT_SECRET);
const rooms = Math.max(1, config.rooms ?? 1);
const roomOf = (index: number) => roomAt(index % rooms, rooms);

type Client = { ws: WebSocket | undefined; live: boolean; startedAt: number; liveAt: number };
const clients: Client[] = [];

let histogram = new Histogram();
let frames = 0;
let values = 0;
let firstRecv = Number.POSITIVE_INFINITY;
let lastRecv = 0;
let minPublished = Number.POSITIVE_INFINITY;
let closedAfterLive = 0;
/** This process's CPU and event-loop delay since the last reset: is the load side the bottleneck? */
let cpuMark = { usage: process.cpuUsage(), at: nowMs(), switches: contextSwitches() };
/** Times this process was switched out: once per wake-up when frames arrive one at a time. */
function contextSwitches(): number {
  const usage = process.resourceUsage();
  return usage.voluntaryContextSwitches + usage.involuntaryContextSwitches;
}
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const recordValue = (receivedAt: number) => (value: number) => {
  values += 1;
  histogram.record(receivedAt - value);
  if (value < minPublished) minPublished = value;
};

function onFrame(receivedAt: number, text: string) {
  frames += 1;
  if (receivedAt < firstRecv) firstRecv = receivedAt;
  lastRecv = receivedAt;
  scanValues(text, recordValue(receivedAt));
}

/** Walks a decoded msgpack event for KPI values (the binary parser's frames cannot be scanned as text). */
function onBinaryEvent(receivedAt: number, packet: { type: number; data?: unknown[] }) {
  frames += 1;
  if (receivedAt < firstRecv) firstRecv = receivedAt;
  lastRecv = receivedAt;
  const envelope = packet.data?.[1] as { data?: { kpis?: { value: number }[] } } | undefined;
  const record = recordValue(receivedAt);
  for (const kpi of envelope?.data?.kpis ?? []) record(kpi.value);
}

async function tokens(count: number): Promise<string[]> {
  const signed: string[] = [];
  for (let index = 0; index < count; index += 1) {
    signed.push(
      await new SignJWT({ tenantId: roomOf(index).tenantId, roles: ['UNDERWRITER'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`bench-user-${index}`)
        .setExpirationTime('2h')
        .sign(secret),
    );
  }
  return signed;
}

/** Opens one client; resolves when it is live (subscribed / joined / open) or has failed. */
function open(index: number, token: string | undefined, errors: Map<string, number>): Promise<void> {
  // Each room's clients are split evenly over the server processes.
  const port = config.ports[Math.floor(index / rooms) % config.ports.length] as number;
  const room = roomOf(index);
  const client: Client = { ws: undefined, live: false, startedAt: nowMs(), liveAt: 0 };
  clients[index] = client;
  const fail = (reason: string) => errors.set(reason, (errors.get(reason) ?? 0) + 1);
  return new Promise<void>((resolve) => {
    let settled = false;
    const settle = (reason?: string) => {
      if (settled) return;
      settled = true;
      if (reason) fail(reason);
      else {
        client.live = true;
        client.liveAt = nowMs();
      }
      resolve();
    };
    const url =
      config.kind === 'ws'
        ? `ws://127.0.0.1:${port}/?room=${encodeURIComponent(room.name)}`
        : socketIoUrl('127.0.0.1', port);
    const ws = new WebSocket(url, { perMessageDeflate: config.deflate === true, handshakeTimeout: 60_000 });
    client.ws = ws;
    ws.on('error', (error: Error & { code?: string }) => settle(`error:${error.code ?? error.message}`));
    ws.on('close', () => {
      if (client.live) closedAfterLive += 1;
      settle('closed_before_live');
    });
    if (config.kind === 'ws') {
      ws.on('open', () => settle());
      ws.on('message', (data: Buffer) => onFrame(nowMs(), data.toString()));
      return;
    }
    const msgpack = config.parser === 'msgpack';
    const sendPacket = (packet: { type: number; data?: unknown; id?: number }) =>
      ws.send(notepack.encode({ nsp: '/', ...packet }));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const receivedAt = nowMs();
      if (isBinary) {
        const packet = notepack.decode(data) as { type: number; data?: unknown[]; id?: number };
        if (packet.type === 2 && client.live) onBinaryEvent(receivedAt, packet);
        else if (packet.type === 0) sendPacket({ type: 2, data: ['join', room.name], id: 0 });
        else if (packet.type === 3) settle();
        else if (packet.type === 4) settle('connect_error');
        return;
      }
      const text = data.toString();
      const head = text.charCodeAt(0);
      if (head === 52 /* '4' */) {
        const type = text.charCodeAt(1);
        if (type === 50 /* '2' event */) {
          if (client.live) onFrame(receivedAt, text);
        } else if (type === 48 /* '0' connect */) {
          if (config.kind === 'full') ws.send(encodeEvent('kpi:subscribe', [{ module: room.module }], 0));
          else ws.send(encodeEvent('join', [room.name], 0));
        } else if (type === 51 /* '3' ack */) {
          if (text.includes('"ok":true')) settle();
          else settle(`refused:${text.slice(0, 80)}`);
        } else if (type === 52 /* '4' connect error */) {
          const reason = /"reason":"([^"]+)"/.exec(text)?.[1] ?? 'connect_error';
          settle(`connect_error:${reason}`);
        }
      } else if (head === 50 /* '2' ping */) {
        ws.send(PONG);
      } else if (head === 48 /* '0' open */) {
        if (msgpack) sendPacket({ type: 0 });
        else ws.send(config.kind === 'full' ? encodeConnect({ token, protocol: 1 }) : encodeConnect());
      }
    });
  });
}

/** Opens every client, at most `concurrency` handshakes in flight (0: all at once, a connect storm). */
async function connectAll(concurrency: number, timeoutMs: number) {
  const signed = config.kind === 'full' ? await tokens(config.clients) : [];
  const errors = new Map<string, number>();
  const started = nowMs();
  let next = 0;
  const limit = concurrency <= 0 ? config.clients : concurrency;
  const lane = async () => {
    while (next < config.clients) {
      const index = next++;
      await open(index, signed[index], errors);
    }
  };
  const all = Promise.all(Array.from({ length: Math.min(limit, config.clients) }, lane));
  const timedOut = await Promise.race([
    all.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), timeoutMs)),
  ]);
  const live = clients.filter((client) => client?.live);
  const liveTimes = live.map((client) => client.liveAt - started).sort((a, b) => a - b);
  return {
    clients: config.clients,
    live: live.length,
    errors: Object.fromEntries(errors),
    timedOut,
    allLiveMs: live.length === config.clients ? (liveTimes.at(-1) ?? 0) : Number.NaN,
    p50LiveMs: liveTimes[Math.floor(liveTimes.length / 2)] ?? Number.NaN,
    wallMs: nowMs() - started,
  };
}

function reset() {
  histogram = new Histogram();
  frames = 0;
  values = 0;
  firstRecv = Number.POSITIVE_INFINITY;
  lastRecv = 0;
  minPublished = Number.POSITIVE_INFINITY;
  cpuMark = { usage: process.cpuUsage(), at: nowMs(), switches: contextSwitches() };
  loopDelay.reset();
}

/** Waits for `expected` frames, or until none arrived for `idleMs`, or `timeoutMs`. */
async function waitFrames(expected: number, idleMs: number, timeoutMs: number) {
  const started = nowMs();
  let lastCount = -1;
  let lastChange = nowMs();
  while (frames < expected && nowMs() - started < timeoutMs) {
    if (frames !== lastCount) {
      lastCount = frames;
      lastChange = nowMs();
    } else if (nowMs() - lastChange > idleMs) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const live = clients.filter((client) => client?.live).length;
  const cpu = process.cpuUsage(cpuMark.usage);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    /** Load process CPU from reset to the last frame received (1.00 = one core), and its loop delay. */
    load: {
      cpuMs,
      cores: frames === 0 ? Number.NaN : cpuMs / (lastRecv - cpuMark.at),
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      /** Context switches per frame received: ~1 when every frame wakes the process on its own. */
      switchesPerFrame: frames === 0 ? Number.NaN : (contextSwitches() - cpuMark.switches) / frames,
    },
    frames,
    values,
    expected,
    live,
    closedAfterLive,
    framesPerClient: live === 0 ? 0 : frames / live,
    latency: histogram.summary(),
    /** Deliveries per second from the first publish to the last receive. */
    deliveriesPerSecond: frames === 0 ? 0 : (frames / (lastRecv - minPublished)) * 1000,
    spanMs: lastRecv - minPublished,
    firstRecvAfterPublishMs: firstRecv - minPublished,
  };
}

serveParent(async (command) => {
  switch (command.cmd) {
    case 'connect':
      return connectAll(Number(command.concurrency ?? 200), Number(command.timeoutMs ?? 60_000));
    case 'reset':
      reset();
      return {};
    case 'wait':
      return waitFrames(Number(command.expected), Number(command.idleMs ?? 3000), Number(command.timeoutMs ?? 60_000));
    case 'stop':
      for (const client of clients) client?.ws?.terminate();
      setTimeout(() => process.exit(0), 50);
      return {};
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
});
announce({ pid: process.pid });
