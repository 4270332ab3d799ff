/**
 * Fan-out benchmark: messages/s delivered to N light clients (in a second process), through
 * `createRealtimeServer().publish` and through bare Socket.IO `io.to(room).emit` of the same
 * envelope, in the same run. Compare the two numbers, never against another day's.
 *
 *   npx tsx --conditions=@org/source bench/fanout.ts [clients=2000] [messages=50]
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION } from '@org/contracts';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { createJwtVerifier, createRealtimeServer } from '../src/index.js';

const clients = Number(process.argv[2] ?? 2000);
const messages = Number(process.argv[3] ?? 50);
const secret = 'bench-secret-bench-secret-bench-secret';
const tenantId = 'bench';

const child = fork(fileURLToPath(new URL('./clients.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx', '--conditions=@org/source'],
});
const next = (type: string) =>
  new Promise<{ type: string; at?: number }>((resolve) => {
    const listener = (message: { type: string; at?: number }) => {
      if (message.type !== type) return;
      child.off('message', listener);
      resolve(message);
    };
    child.on('message', listener);
  });

const update = (value: number) => ({
  tenantId,
  module: 'risk' as const,
  kpis: [
    {
      key: 'score',
      module: 'risk' as const,
      label: 'Risk score',
      value,
      unit: 'count' as const,
      change: null,
      updatedAt: new Date().toISOString(),
    },
  ],
});

async function listen() {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** Sends `messages` frames in small batches (yielding to I/O) and waits until every client has them all. */
async function measure(send: (index: number) => void): Promise<number> {
  child.send({ type: 'expect', total: clients * messages });
  const done = next('done');
  const started = Date.now();
  for (let index = 0; index < messages; index += 1) {
    send(index);
    if (index % 5 === 4) await new Promise((resolve) => setImmediate(resolve));
  }
  const { at = Date.now() } = await done;
  return (clients * messages) / ((at - started) / 1000);
}

async function bare(): Promise<number> {
  const { http, url } = await listen();
  const io = new Server(http, { serveClient: false });
  io.on('connection', (socket) => socket.join('room'));
  child.send({ type: 'connect', url, count: clients, subscribe: false });
  await next('connected');
  const rate = await measure((index) =>
    io
      .to('room')
      .emit('kpi:update', { id: `e${index}`, stream: 'kpi@room', seq: index + 1, ts: Date.now(), data: update(index) }),
  );
  child.send({ type: 'close' });
  await next('closed');
  io.close();
  return rate;
}

async function realtime(): Promise<number> {
  const { http, url } = await listen();
  const server = createRealtimeServer({
    httpServer: http,
    verifyToken: createJwtVerifier({ secret }),
    conflation: false,
    logger: pino({ level: 'silent' }),
    limits: { connectionsPerMinutePerIp: clients * 2 },
  });
  const token = await new SignJWT({ tenantId, roles: ['RISK_ANALYST'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench-user')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  child.send({ type: 'connect', url, count: clients, auth: { token, protocol: PROTOCOL_VERSION }, subscribe: true });
  await next('connected');
  const rate = await measure((index) =>
    server.publish('kpi:update', { kind: 'module', tenantId, module: 'risk' }, update(index)),
  );
  child.send({ type: 'close' });
  await next('closed');
  await server.close();
  http.close();
  return rate;
}

const results = {
  clients,
  messages,
  bareSocketIo: Math.round(await bare()),
  realtimeServer: Math.round(await realtime()),
};
console.log(JSON.stringify({ ...results, ratio: Number((results.realtimeServer / results.bareSocketIo).toFixed(2)) }));
child.kill();
