// @vitest-environment happy-dom-server
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiServer, createApiServer, loadConfig } from '@org/api';
import type { Kpi, UnreadCountResponse } from '@org/contracts';
import { QueryClient } from '@tanstack/react-query';
import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import { SignJWT } from 'jose';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationsData } from '../src/core/cacheUpdates.js';
import { RestClient } from '../src/core/restClient.js';
import {
  RealtimeClient,
  RealtimeProvider,
  RealtimeRequestError,
  realtimeKeys,
  useConnection,
  useKpis,
  useNotifications,
} from '../src/index.js';

// The real reference API (`@org/api`: Express, PGlite store, `@org/realtime-server` on the same
// http server), driven the way a dashboard would be: sign in, read snapshots, receive live events.

const WAIT = { timeout: 15_000, interval: 20 };
const SERVICE_KEY = 'dev-service-key';
const TENANT = 'acme-lending';
const RISK_USER = { username: 'risk@acme-lending', password: 'demo1234' };

/**
 * happy-dom keeps responses that carry an ETag (Express adds one) as fresh forever and ignores
 * `cache: 'no-store'`, which browsers honour; it does honour a `Cache-Control: no-cache` request header.
 */
const uncachedFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('cache-control', 'no-cache');
  return fetch(input, { ...init, headers });
};

type RunningApi = { server: ApiServer; url: string; port: number };

async function startApi(dataDir: string, port = 0): Promise<RunningApi> {
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    SIMULATOR: 'false',
    DEMO_MODE: 'true',
  });
  const server = await createApiServer(config);
  const url = await server.listen();
  // The dashboard is served by the API: same origin, as in production.
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url);
  return { server, url, port: Number(new URL(url).port) };
}

async function publish(api: RunningApi, body: unknown): Promise<{ id: string | null }> {
  const response = await fetch(`${api.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-service-key': SERVICE_KEY },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) throw new Error(`publish failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string | null };
}

const kpi = (value: number): Kpi => ({
  key: 'exposure',
  module: 'risk',
  label: 'Exposure',
  value,
  unit: 'count',
  change: null,
  updatedAt: new Date().toISOString(),
});

const publishExposure = (api: RunningApi, value: number) =>
  publish(api, { event: 'kpi:update', data: { tenantId: TENANT, module: 'risk', kpis: [kpi(value)] } });

const notifyRiskAnalysts = async (api: RunningApi, title: string) =>
  (
    await publish(api, {
      event: 'notification:new',
      tenantId: TENANT,
      audience: { kind: 'role', role: 'RISK_ANALYST' },
      data: { severity: 'info', title, body: '' },
    })
  ).id as string;

function Panel() {
  const { kpis, status } = useKpis('risk');
  const { notifications, unreadCount } = useNotifications();
  const exposure = kpis.find((item) => item.key === 'exposure')?.value ?? '-';
  return (
    <div>
      <p data-testid="kpi">
        {status}:{exposure}
      </p>
      <p data-testid="notifications">
        {unreadCount}:{notifications.map((n) => n.title).join('|')}
      </p>
    </div>
  );
}

describe('hooks against the real API (@org/api)', { timeout: 60_000 }, () => {
  let dataDir: string;
  let api: RunningApi | undefined;
  let client: RealtimeClient | undefined;
  let queryClient: QueryClient;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'realtime-react-'));
    queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  });

  afterEach(async () => {
    cleanup();
    client?.disconnect();
    await queryClient.cancelQueries();
    queryClient.clear();
    await api?.server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A sign-in session: `getToken` hands out the current token, and signs in again when asked to refresh. */
  function session(first?: string) {
    let token = first;
    const calls: boolean[] = [];
    return {
      calls,
      getToken: async ({ forceRefresh }: { forceRefresh: boolean }) => {
        calls.push(forceRefresh);
        if (!token || forceRefresh) {
          const rest = new RestClient({ baseUrl: api?.url ?? '', getToken: () => null });
          token = (await rest.login(RISK_USER)).accessToken;
        }
        return token;
      },
    };
  }

  it('live, then polling over REST when the socket side dies, then live after a restart with nothing twice', async () => {
    api = await startApi(dataDir);
    await publishExposure(api, 1);
    const firstId = await notifyRiskAnalysts(api, 'first');
    client = new RealtimeClient({
      url: api.url,
      apiUrl: api.url,
      queryClient,
      getToken: session().getToken,
      fetch: uncachedFetch,
      backoff: { baseMs: 20, maxMs: 200 },
      pollIntervalMs: 50,
    });
    render(
      <RealtimeProvider client={client}>
        <Panel />
      </RealtimeProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('kpi').textContent).toBe('live:1'), WAIT);
    await waitFor(() => expect(screen.getByTestId('notifications').textContent).toBe('1:first'), WAIT);
    const room = `tenant:${TENANT}:module:risk`;
    await waitFor(() => expect(api?.server.realtime.io.of('/').adapter.rooms.get(room)?.size).toBe(1), WAIT);

    await publishExposure(api, 2);
    await waitFor(() => expect(screen.getByTestId('kpi').textContent).toBe('live:2'), WAIT);
    await notifyRiskAnalysts(api, 'second');
    await waitFor(() => expect(screen.getByTestId('notifications').textContent).toBe('2:second|first'), WAIT);

    // The socket side goes away; REST stays up. The UI says so and keeps current through REST.
    await act(() => api?.server.realtime.close());
    await waitFor(() => expect(screen.getByTestId('kpi').textContent).toBe('polling:2'), WAIT);
    await publishExposure(api, 5);
    await notifyRiskAnalysts(api, 'while polling');
    await waitFor(() => expect(screen.getByTestId('kpi').textContent).toBe('polling:5'), WAIT);
    await waitFor(
      () => expect(screen.getByTestId('notifications').textContent).toBe('3:while polling|second|first'),
      WAIT,
    );

    // A full restart on the same port and store; what is published meanwhile shows up once.
    const port = api.port;
    await act(() => api?.server.close());
    api = await startApi(dataDir, port);
    await notifyRiskAnalysts(api, 'after restart');
    await waitFor(() => expect(screen.getByTestId('kpi').textContent).toMatch(/^live:/), WAIT);
    await waitFor(
      () => expect(screen.getByTestId('notifications').textContent).toBe('4:after restart|while polling|second|first'),
      WAIT,
    );
    await waitFor(() => expect(api?.server.realtime.io.of('/').adapter.rooms.get(room)?.size).toBe(1), WAIT);
    await publishExposure(api, 6);
    await notifyRiskAnalysts(api, 'live again');
    await waitFor(() => expect(screen.getByTestId('kpi').textContent).toBe('live:6'), WAIT);
    await waitFor(
      () =>
        expect(screen.getByTestId('notifications').textContent).toBe(
          '5:live again|after restart|while polling|second|first',
        ),
      WAIT,
    );
    const ids = queryClient
      .getQueryData<NotificationsData>(realtimeKeys.notifications.list(20))
      ?.pages.flatMap((page) => page.items.map((item) => item.id));
    expect(new Set(ids).size).toBe(5);
    expect(ids?.at(-1)).toBe(firstId);
  });

  it('refreshes an expired token, then connects', async () => {
    api = await startApi(dataDir);
    const config = loadConfig({ NODE_ENV: 'test' });
    const expired = await new SignJWT({ tenantId: TENANT, roles: ['RISK_ANALYST'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`${TENANT}.risk`)
      .setIssuer('realtime-ops')
      .setAudience('realtime-ops')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(config.jwtSecret));
    const tokens = session(expired);
    client = new RealtimeClient({
      url: api.url,
      queryClient,
      getToken: tokens.getToken,
      fetch: uncachedFetch,
      backoff: { baseMs: 20 },
    });
    const { result } = renderHook(() => useConnection(), {
      wrapper: ({ children }: { children: ReactNode }) => (
        <RealtimeProvider client={client as RealtimeClient}>{children}</RealtimeProvider>
      ),
    });
    await waitFor(() => expect(result.current.status).toBe('live'), WAIT);
    expect(tokens.calls.slice(0, 2)).toEqual([false, true]);
    expect(result.current.session?.userId).toBe(`${TENANT}.risk`);
  });

  it('rolls an optimistic mark-read back when the server refuses it', async () => {
    api = await startApi(dataDir);
    await notifyRiskAnalysts(api, 'kept');
    client = new RealtimeClient({ url: api.url, queryClient, getToken: session().getToken, fetch: uncachedFetch });
    const { result } = renderHook(() => useNotifications(), {
      wrapper: ({ children }: { children: ReactNode }) => (
        <RealtimeProvider client={client as RealtimeClient}>{children}</RealtimeProvider>
      ),
    });
    await waitFor(() => expect(result.current.unreadCount).toBe(1), WAIT);
    await waitFor(() => expect(result.current.status).toBe('live'), WAIT);
    // A notification the server no longer has (deleted elsewhere) is still on screen.
    const ghost = { ...(result.current.notifications[0] as NonNullable<(typeof result.current.notifications)[0]>) };
    ghost.id = 'deleted-elsewhere';
    act(() => {
      queryClient.setQueryData<NotificationsData>(realtimeKeys.notifications.list(20), (data) =>
        data
          ? {
              ...data,
              pages: data.pages.map((page, i) =>
                i === 0 ? { ...page, items: [ghost, ...page.items], unreadCount: 2 } : page,
              ),
            }
          : data,
      );
      queryClient.setQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount, { unreadCount: 2 });
    });
    await waitFor(() => expect(result.current.unreadCount).toBe(2), WAIT);
    const counts: number[] = [];
    const stop = queryClient.getQueryCache().subscribe(() => {
      const count = queryClient.getQueryData<UnreadCountResponse>(realtimeKeys.notifications.unreadCount)?.unreadCount;
      if (count !== undefined && counts.at(-1) !== count) counts.push(count);
    });
    const failure = await act(() => result.current.markRead(ghost.id).catch((error: unknown) => error));
    stop();
    expect(failure).toBeInstanceOf(RealtimeRequestError);
    // The same typed answer as over REST.
    expect((failure as RealtimeRequestError).code).toBe('NOT_FOUND');
    expect(counts).toEqual([2, 1, 2]);
    await waitFor(() => expect(result.current.unreadCount).toBe(2), WAIT);
    expect(result.current.notifications.find((n) => n.id === ghost.id)?.readAt).toBeNull();
  });
});
