import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AckResponse,
  type ClientEventName,
  type ClientEventRequest,
  type ClientEventResponse,
  type ClientToServerEvents,
  type ConnectErrorData,
  type Envelope,
  PROTOCOL_VERSION,
  type Role,
  type ServerEventData,
  type ServerEventName,
  type ServerToClientEvents,
} from '@org/contracts';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import {
  type Socket as ClientSocket,
  io as connectClient,
  type ManagerOptions,
  type SocketOptions,
} from 'socket.io-client';
import {
  createJwtVerifier,
  createRealtimeServer,
  type RealtimeServer,
  type RealtimeServerOptions,
} from '../src/index.js';

export type TestClient = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

export const SECRET = 'test-secret-that-is-long-enough-for-hs256';

/** Unique per call, so tests never share tenants, users or streams. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export type TokenClaims = { userId: string; tenantId: string; roles: Role[]; name?: string };

export async function signToken(
  claims: TokenClaims,
  options: { secret?: string; expiresAt?: number; issuedAt?: number } = {},
): Promise<string> {
  const jwt = new SignJWT({
    tenantId: claims.tenantId,
    roles: claims.roles,
    ...(claims.name ? { name: claims.name } : {}),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.userId)
    .setIssuedAt(options.issuedAt ?? Math.floor(Date.now() / 1000));
  jwt.setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 3600);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** Disposes everything a test made, last made first. */
export class Disposer {
  readonly #tasks: (() => Promise<void> | void)[] = [];
  add(task: () => Promise<void> | void): void {
    this.#tasks.push(task);
  }
  async dispose(): Promise<void> {
    const tasks = this.#tasks.splice(0).reverse();
    for (const task of tasks) await task();
  }
}

export type TestServer = { realtime: RealtimeServer; http: HttpServer; url: string };

export async function startServer(
  disposer: Disposer,
  options: Partial<Omit<RealtimeServerOptions, 'httpServer'>> = {},
  httpServer: HttpServer = createServer(),
  { waitForRedis = true }: { waitForRedis?: boolean } = {},
): Promise<TestServer> {
  const realtime = createRealtimeServer({
    httpServer,
    verifyToken: createJwtVerifier({ secret: SECRET }),
    logger: pino({ level: 'silent' }),
    ...options,
    // Numbering from 0 keeps expected sequence numbers readable; the default epoch start has its own test.
    replay: { sequenceStart: () => 0, ...options.replay },
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  disposer.add(async () => {
    await realtime.close();
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });
  if (waitForRedis) await realtime.ready;
  const { port } = httpServer.address() as AddressInfo;
  return { realtime, http: httpServer, url: `http://127.0.0.1:${port}` };
}

type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** A client socket that is not connected yet (autoConnect off); disposed after the test. */
export function makeClient(
  disposer: Disposer,
  url: string,
  auth: Record<string, unknown>,
  options: ClientOptions = {},
): TestClient {
  const socket: TestClient = connectClient(url, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
    ...options,
  });
  disposer.add(() => {
    socket.disconnect();
  });
  return socket;
}

export type Connected = { socket: TestClient; ready: Envelope<ServerEventData<'session:ready'>> };

/** Connects with a fresh token and waits for `session:ready`. */
export async function connectAs(
  disposer: Disposer,
  url: string,
  claims: TokenClaims,
  options: ClientOptions = {},
): Promise<Connected> {
  const token = await signToken(claims);
  const socket = makeClient(disposer, url, { token, protocol: PROTOCOL_VERSION }, options);
  const ready = nextEvent(socket, 'session:ready');
  const failed = new Promise<never>((_, reject) =>
    socket.once('connect_error', (error) => reject(new Error(`connect_error: ${error.message}`))),
  );
  socket.connect();
  return { socket, ready: await Promise.race([ready, failed]) };
}

/** The next envelope of a server event. */
export function nextEvent<E extends ServerEventName>(
  socket: TestClient,
  event: E,
): Promise<Envelope<ServerEventData<E>>> {
  return new Promise((resolve) => {
    (socket.once as (event: string, listener: (envelope: Envelope<ServerEventData<E>>) => void) => void)(
      event,
      resolve,
    );
  });
}

/** Collects every envelope of some server events, in arrival order. */
export function collect(
  socket: TestClient,
  events: readonly ServerEventName[],
): { event: ServerEventName; envelope: Envelope<unknown> }[] {
  const received: { event: ServerEventName; envelope: Envelope<unknown> }[] = [];
  for (const event of events) {
    (socket.on as (event: string, listener: (envelope: Envelope<unknown>) => void) => void)(event, (envelope) =>
      received.push({ event, envelope }),
    );
  }
  return received;
}

/** Sends a typed request and resolves with its ack. */
export function request<E extends ClientEventName>(
  socket: TestClient,
  event: E,
  payload: ClientEventRequest<E>,
): Promise<AckResponse<ClientEventResponse<E>>> {
  return (
    socket.timeout(5_000).emitWithAck as (
      event: string,
      payload: unknown,
    ) => Promise<AckResponse<ClientEventResponse<E>>>
  )(event, payload);
}

/** Sends anything (for bad-input tests) and resolves with the ack. */
export function rawRequest(socket: TestClient, event: string, ...args: unknown[]): Promise<AckResponse<unknown>> {
  return (socket.timeout(5_000).emitWithAck as (event: string, ...args: unknown[]) => Promise<AckResponse<unknown>>)(
    event,
    ...args,
  );
}

/** Resolves with `connect_error.data` (and message) of a refused connection. */
export function connectError(
  socket: TestClient,
): Promise<{ message: string; data: ConnectErrorData & { reason?: string } }> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected, but a refusal was expected')));
    socket.once('connect_error', (error) => {
      resolve({
        message: error.message,
        data: (error as Error & { data: ConnectErrorData & { reason?: string } }).data,
      });
    });
    socket.connect();
  });
}

/** Resolves when the socket is disconnected, with the reason. */
export function disconnected(socket: TestClient): Promise<string> {
  return new Promise((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
}

/** A round trip on a socket: everything the server sent before this ack has arrived. */
export async function roundTrip(socket: TestClient): Promise<void> {
  await request(socket, 'ping', { clientTime: Date.now() });
}

export function kpi(
  module: 'lending' | 'payments' | 'collections' | 'risk' | 'compliance' | 'support',
  key: string,
  value: number,
) {
  return {
    key,
    module,
    label: key,
    value,
    unit: 'count' as const,
    change: null,
    updatedAt: new Date().toISOString(),
  };
}
