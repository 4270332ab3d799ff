import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClientToServerEvents,
  LoginResponse,
  PROTOCOL_VERSION,
  type ServerEventName,
  type ServerToClientEvents,
  serverEnvelopeSchema,
} from '@org/contracts';
import { io, type Socket } from 'socket.io-client';
import { type ApiServer, createApiServer, loadConfig } from '../src/index.js';

export type TestApi = ApiServer & { url: string; dataDir: string };
export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Starts the real API on a free port; the store lives in `dataDir` (a fresh temp folder by default). */
export async function startApi(env: Record<string, string> = {}, dataDir?: string): Promise<TestApi> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'api-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: dir,
    SIMULATOR: 'false',
    DEMO_MODE: 'true',
    ...env,
  });
  const api = await createApiServer(config);
  const url = await api.listen();
  return Object.assign(api, { url, dataDir: dir });
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

export async function request(
  api: { url: string },
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.token && { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: response.headers };
}

export async function login(api: { url: string }, username: string) {
  const { status, body } = await request(api, 'POST', '/api/auth/login', { body: { username, password: 'demo1234' } });
  if (status !== 200) throw new Error(`login ${username} failed: ${status} ${JSON.stringify(body)}`);
  return LoginResponse.parse(body);
}

export async function connect(api: { url: string }, token: string): Promise<TestSocket> {
  const socket: TestSocket = io(api.url, {
    auth: { token, protocol: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('session:ready', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Collects every envelope of `event` the socket receives, validated against the contract. */
export function collect<TEvent extends ServerEventName>(socket: TestSocket, event: TEvent) {
  const received: ReturnType<ReturnType<typeof serverEnvelopeSchema<TEvent>>['parse']>[] = [];
  const schema = serverEnvelopeSchema(event);
  (socket as unknown as Socket).on(event as string, (envelope: unknown) => {
    received.push(schema.parse(envelope));
  });
  return received;
}

export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const SERVICE_KEY = 'dev-service-key';
