import {
  ApiErrorResponse,
  type ClientEventName,
  clientAckSchema,
  ErrorBody,
  ErrorCode,
  isClientEventName,
  PROTOCOL_VERSION,
} from '@org/contracts';
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ApiProcess } from '../src/apiProcess.js';
import { SERVICE_KEY, scale, sleep, waitFor } from '../src/env.js';
import { recordFigures } from '../src/figures.js';
import { hostileValue, malformed, type SocketInput, socketInputs } from '../src/fuzz.js';
import { http, notificationBody, publishNotification } from '../src/http.js';
import { loopbackAddress } from '../src/net.js';
import { StreamClient } from '../src/streamClient.js';
import { mintToken } from '../src/tokens.js';

const SOCKET_INPUTS = scale(2_000, 70_000);
const REST_INPUTS = scale(1_000, 28_000);
const RAW_FRAMES = scale(500, 4_000);
const OVERSIZED = scale(20, 100);
const ATTACKERS = scale(60, 200);
/** Stay under the per-socket request budget (20/s), so inputs reach the parser rather than the limiter. */
const PER_SOCKET_PER_SECOND = 10;
const SEED = 8_2026;

const attacker = { userId: 'fuzzer', tenantId: 'fuzz-target', roles: ['ADMIN' as const] };
const watcher = { userId: 'watcher', tenantId: 'fuzz-bystander', roles: ['SUPPORT_AGENT' as const] };

/** A catalog event's ack matches its schema; any other event gets a typed error. */
function isTypedAck(event: string, answer: unknown): boolean {
  if (isClientEventName(event)) return clientAckSchema(event as ClientEventName).safeParse(answer).success;
  const { ok, error } = (answer ?? {}) as { ok?: unknown; error?: unknown };
  return ok === false && ErrorBody.safeParse(error).success;
}

const codes: Record<string, number> = {};
const count = (code: string) => {
  codes[code] = (codes[code] ?? 0) + 1;
};

describe('bad input: fast-check fuzzing of every client event and REST body', () => {
  const api = new ApiProcess({ name: 'fuzz-api', probe: true });
  let token: string;
  let bystander: StreamClient;
  const bystanderExpected: string[] = [];
  let stopBystander = false;
  let bystanderLoop: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    await api.start();
    token = await mintToken(attacker);
    bystander = new StreamClient({
      url: api.url,
      identity: watcher,
      token: await mintToken(watcher),
      localAddress: loopbackAddress(5000),
      reconnection: false,
    });
    await bystander.ready();
    // Another tenant's user keeps receiving notifications the whole time.
    bystanderLoop = (async () => {
      for (let i = 0; i < 10_000 && !stopBystander; i += 1) {
        const published = await publishNotification(
          () => api.url,
          watcher.tenantId,
          { kind: 'user', userId: watcher.userId },
          `steady ${i}`,
        );
        if (published) bystanderExpected.push(published.id);
        await sleep(100);
      }
    })();
  });

  afterAll(async () => {
    stopBystander = true;
    await bystanderLoop;
    bystander?.close();
    await api.dispose();
  });

  it('answers every malformed socket request with a typed error, never INTERNAL', async () => {
    const baseline = await api.probe();
    const inputs = fc.sample(socketInputs(12_000), { numRuns: SOCKET_INPUTS, seed: SEED });
    let sent = 0;
    let acked = 0;
    let untyped = 0;
    let internal = 0;
    let lostAcks = 0;
    let transportClosed = 0;
    const samples: string[] = [];
    const connectAttacker = (index: number) =>
      new Promise<Socket>((resolve, reject) => {
        const socket = io(api.url, {
          auth: { token, protocol: PROTOCOL_VERSION },
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          localAddress: loopbackAddress(3000 + index),
        } as Parameters<typeof io>[1]);
        socket.once('session:ready', () => resolve(socket));
        socket.once('connect_error', reject);
      });
    const send = (socket: Socket, input: SocketInput) =>
      new Promise<void>((resolve) => {
        try {
          socket.timeout(5000).emit(input.event, ...input.args, (error: Error | null, answer: unknown) => {
            if (error) {
              if (!socket.connected) transportClosed += 1;
              else lostAcks += 1;
              return resolve();
            }
            acked += 1;
            if (!isTypedAck(input.event, answer)) {
              untyped += 1;
              if (samples.length < 5) samples.push(`${input.event}: ${JSON.stringify(answer).slice(0, 200)}`);
            }
            const code = (answer as { ok?: boolean; error?: { code?: string } }).ok
              ? 'OK'
              : ((answer as { error?: { code?: string } }).error?.code ?? '?');
            count(code);
            if (code === 'INTERNAL') {
              internal += 1;
              if (samples.length < 5)
                samples.push(`INTERNAL for ${input.event} ${JSON.stringify(input.args).slice(0, 200)}`);
            }
            resolve();
          });
        } catch {
          // socket.io-client refuses some names locally (reserved events): nothing was sent.
          count('refused by the client library');
          resolve();
        }
      });
    const perSocket = Math.ceil(inputs.length / ATTACKERS);
    await Promise.all(
      Array.from({ length: ATTACKERS }, async (_, a) => {
        let socket = await connectAttacker(a);
        const mine = inputs.slice(a * perSocket, (a + 1) * perSocket);
        for (let i = 0; i < mine.length; i += 1) {
          if (!socket.connected) socket = await connectAttacker(a);
          const started = Date.now();
          sent += 1;
          await send(socket, mine[i] as SocketInput);
          await sleep(Math.max(0, 1000 / PER_SOCKET_PER_SECOND - (Date.now() - started)));
        }
        socket.disconnect();
      }),
    );
    const after = await api.probe();
    recordFigures('bad input: socket events', {
      inputs: sent,
      acked,
      untypedAcks: untyped,
      internal,
      lostAcks,
      closedByTransport: transportClosed,
      heapGrowthPct: (((after.heapUsed - baseline.heapUsed) / baseline.heapUsed) * 100).toFixed(1),
      polluted: after.polluted,
      codes: Object.entries(codes)
        .map(([code, n]) => `${code}:${n}`)
        .join(' '),
    });
    if (samples.length > 0) console.log(`fuzz samples:\n  ${samples.join('\n  ')}`);
    expect(api.crashes).toEqual([]);
    expect(untyped).toBe(0);
    expect(internal).toBe(0);
    expect(lostAcks).toBe(0);
    expect(after.polluted).toBe(0);
  });

  it('answers every malformed REST body, path and query with a typed 4xx, never 5xx', async () => {
    const publishValid = [
      notificationBody('fuzz-target', { kind: 'tenant' }, 'fuzz'),
      {
        event: 'alert:new',
        tenantId: 'fuzz-target',
        data: { severity: 'info', category: 'risk', title: 'fuzz', message: '' },
      },
      {
        event: 'kpi:update',
        data: {
          tenantId: 'fuzz-target',
          module: 'risk',
          kpis: [
            {
              key: 'k',
              module: 'risk',
              label: 'K',
              value: 1,
              unit: 'count',
              change: null,
              updatedAt: new Date().toISOString(),
            },
          ],
        },
      },
      {
        event: 'dashboard:update',
        data: { tenantId: 'fuzz-target', role: 'ADMIN', cards: [], topKpis: [], updatedAt: new Date().toISOString() },
      },
    ] as Record<string, unknown>[];
    type RestInput = { method: string; path: string; body?: unknown; raw?: Buffer; headers?: Record<string, string> };
    // Percent-encodes the UTF-8 bytes (lone surrogates become U+FFFD, as any HTTP client would send them).
    const text = (value: unknown) =>
      [
        ...Buffer.from(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'), 'utf8').subarray(
          0,
          1000,
        ),
      ]
        .map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
        .join('');
    const restInput: fc.Arbitrary<RestInput> = fc.oneof(
      fc
        .constantFrom(...publishValid)
        .chain((valid) => malformed(valid, 60_000))
        .map((body) => ({ method: 'POST', path: '/api/events', body, headers: { 'x-service-key': SERVICE_KEY } })),
      malformed({ username: 'admin@acme-lending', password: 'demo1234x' }, 60_000).map((body) => ({
        method: 'POST',
        path: '/api/auth/login',
        body,
      })),
      hostileValue(500).map((id) => ({ method: 'POST', path: `/api/notifications/${text(id)}/read` })),
      hostileValue(500).map((id) => ({ method: 'POST', path: `/api/alerts/${text(id)}/ack` })),
      hostileValue(500).map((module) => ({ method: 'GET', path: `/api/kpis?module=${text(module)}` })),
      fc.tuple(hostileValue(300), hostileValue(300)).map(([limit, cursor]) => ({
        method: 'GET',
        path: `/api/notifications?limit=${text(limit)}&cursor=${text(cursor)}`,
      })),
      hostileValue(300).map((limit) => ({ method: 'GET', path: `/api/alerts?limit=${text(limit)}` })),
      // Invalid percent-encoding (bytes that are not UTF-8, truncated escapes) in paths and queries.
      fc
        .constantFrom('%ff%fe', '%E0%A4%A', '%', '%00', '%c0%af', '..%2f..%2f')
        .chain((bad) =>
          fc.constantFrom(
            { method: 'POST', path: `/api/notifications/${bad}/read` },
            { method: 'GET', path: `/api/kpis?module=${bad}` },
            { method: 'GET', path: `/api/notifications?cursor=${bad}` },
            { method: 'POST', path: `/api/alerts/${bad}/ack` },
          ),
        ),
      fc.uint8Array({ maxLength: 3000 }).map((bytes) => ({
        method: 'POST',
        path: '/api/events',
        raw: Buffer.from(bytes),
        headers: { 'x-service-key': SERVICE_KEY },
      })),
      fc
        .constantFrom(
          Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0xc3, 0x28, 0x7d]),
          Buffer.from('{"event":"notification:new",'),
          Buffer.alloc(70_000, 0x61),
        )
        .map((raw) => ({ method: 'POST', path: '/api/events', raw, headers: { 'x-service-key': SERVICE_KEY } })),
    );
    const inputs = fc.sample(restInput, { numRuns: REST_INPUTS, seed: SEED + 1 });
    const statuses: Record<string, number> = {};
    let serverErrors = 0;
    let untyped = 0;
    const samples: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (next < inputs.length) {
          const input = inputs[next++] as RestInput;
          let status = 0;
          let body: unknown;
          try {
            const response = await fetch(`${api.url}${input.path}`, {
              method: input.method,
              headers: {
                authorization: `Bearer ${token}`,
                ...(input.method === 'POST' && { 'content-type': 'application/json' }),
                ...input.headers,
              },
              body: input.raw
                ? new Uint8Array(input.raw)
                : input.body === undefined
                  ? undefined
                  : JSON.stringify(input.body),
              signal: AbortSignal.timeout(10_000),
            });
            status = response.status;
            body = await response.json().catch(() => undefined);
          } catch {
            status = 0;
          }
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 0 || status >= 500) {
            serverErrors += 1;
            if (samples.length < 5)
              samples.push(
                `${status} ${input.method} ${input.path.slice(0, 120)} ${JSON.stringify(input.body)?.slice(0, 200)}`,
              );
          } else if (status >= 400 && !ApiErrorResponse.safeParse(body).success) {
            untyped += 1;
            if (samples.length < 5)
              samples.push(`untyped ${status} ${input.path.slice(0, 80)}: ${JSON.stringify(body)?.slice(0, 200)}`);
          }
        }
      }),
    );
    const probe = await api.probe();
    recordFigures('bad input: REST', {
      inputs: inputs.length,
      serverErrors,
      untypedErrors: untyped,
      polluted: probe.polluted,
      statuses: Object.entries(statuses)
        .map(([s, n]) => `${s}:${n}`)
        .join(' '),
    });
    if (samples.length > 0) console.log(`REST fuzz samples:\n  ${samples.join('\n  ')}`);
    expect(serverErrors).toBe(0);
    expect(untyped).toBe(0);
    expect(probe.polluted).toBe(0);
    expect(api.crashes).toEqual([]);
  });

  it('survives raw garbage frames, invalid UTF-8 and oversized packets; the bystander loses nothing', async () => {
    const frames = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.jsonValue().map((value) => `42${JSON.stringify(value)}`),
        fc.string({ maxLength: 100 }).map((s) => `42["kpi:subscribe",${s}`),
        fc.string({ maxLength: 100 }).map((s) => `4${s}`),
        fc.constantFrom(
          '2',
          '3',
          '5',
          '6',
          '1',
          '40',
          '41',
          '44',
          '4{',
          '42[',
          '43',
          '0',
          '2probe',
          `40${JSON.stringify({ token: 'x', protocol: 1 })}`,
        ),
        fc.uint8Array({ maxLength: 500 }).map((bytes) => Buffer.from(bytes)),
        fc.constantFrom('invalid-utf8'),
        fc.constantFrom('oversized'),
      ),
      { numRuns: RAW_FRAMES, seed: SEED + 2 },
    );
    const closeCodes: Record<string, number> = {};
    let connections = 0;
    let ws: WebSocket | undefined;
    const open = () =>
      new Promise<WebSocket>((resolve) => {
        connections += 1;
        const socket = new WebSocket(`ws://127.0.0.1:${api.port}/socket.io/?EIO=4&transport=websocket`, {
          localAddress: loopbackAddress(4000 + (connections % 200)),
        });
        socket.on('error', () => {});
        socket.on('close', (code) => {
          closeCodes[code] = (closeCodes[code] ?? 0) + 1;
        });
        socket.once('message', () => resolve(socket)); // the engine.io open packet
        socket.once('close', () => resolve(socket));
        socket.once('unexpected-response', () => resolve(socket));
      });
    for (const frame of frames) {
      if (!ws || ws.readyState !== WebSocket.OPEN) ws = await open();
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (frame === 'invalid-utf8') ws.send(Buffer.from([0x34, 0x32, 0xff, 0xfe, 0xc3, 0x28]), { binary: false });
      else if (frame === 'oversized') ws.send(`42["ping",{"clientTime":"${'x'.repeat(40_000)}"}]`);
      else ws.send(frame);
      await sleep(2);
    }
    ws?.terminate();
    // Oversized packets through a real client: the transport is closed, the server counts it.
    let oversizedClosed = 0;
    for (let i = 0; i < OVERSIZED; i += 1) {
      const socket = io(api.url, {
        auth: { token, protocol: PROTOCOL_VERSION },
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        localAddress: loopbackAddress(4500 + i),
      } as Parameters<typeof io>[1]);
      await new Promise<void>((resolve) => socket.once('session:ready', () => resolve()));
      const closed = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
      socket.emit('ping', { clientTime: 'y'.repeat(20_000 + i * 1000) }, () => {});
      const reason = await Promise.race([closed, sleep(5000).then(() => 'still open')]);
      if (reason !== 'still open') oversizedClosed += 1;
      socket.disconnect();
    }
    // The bystander: everything published to it during the whole file arrived, once.
    stopBystander = true;
    await bystanderLoop;
    await waitFor(
      () => bystanderExpected.every((id) => bystander.notifications.has(id)),
      'bystander deliveries',
      10_000,
    ).catch(() => undefined);
    const missing = bystanderExpected.filter((id) => !bystander.notifications.has(id)).length;
    const probe = await api.probe();
    recordFigures('bad input: raw frames', {
      frames: frames.length,
      connections,
      closeCodes: Object.entries(closeCodes)
        .map(([c, n]) => `${c}:${n}`)
        .join(' '),
      oversizedPackets: OVERSIZED,
      oversizedClosed,
      payloadTooLargeCounted: probe.stats.rejections.PAYLOAD_TOO_LARGE ?? 0,
      bystanderPublished: bystanderExpected.length,
      bystanderMissing: missing,
      bystanderDuplicates: bystander.duplicateDeliveries(),
      bystanderConnected: bystander.connected,
      heapMB: (probe.heapUsed / 2 ** 20).toFixed(1),
    });
    expect(api.crashes).toEqual([]);
    expect(oversizedClosed).toBe(OVERSIZED);
    expect(bystander.connected).toBe(true);
    expect(missing).toBe(0);
    expect(bystander.duplicateDeliveries()).toBe(0);
    expect(probe.polluted).toBe(0);
    const health = await http(api.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(ErrorCode.options.length).toBeGreaterThan(0);
  });
});
