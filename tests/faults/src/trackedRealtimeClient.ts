import type { KpiSnapshot, Module } from '@org/contracts';
import {
  type ConnectionStatus,
  kpisQuery,
  RealtimeClient,
  type RealtimeClientOptions,
  realtimeKeys,
} from '@org/realtime-react/core';
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { sleep } from './env.js';
import type { Identity } from './tokens.js';

/**
 * The framework-free `RealtimeClient` as a dashboard uses it (no React), instrumented: status
 * transitions and notification ids applied (live or via REST after a stale stream). KPI values are
 * read from the TanStack Query cache that the client keeps, as the dashboard shows them: the
 * snapshot query, live updates written into it, and a refetch whenever the stream goes stale.
 */
export class TrackedRealtimeClient {
  readonly client: RealtimeClient;
  readonly identity: Identity;
  readonly statuses: ConnectionStatus[] = [];
  readonly liveAt: number[] = [];
  readonly notifications = new Map<string, 'live' | 'replay' | 'rest'>();
  readonly messageDeliveries = new Map<string, number>();
  readonly queryClient = new QueryClient({
    defaultOptions: { queries: { retry: 3, staleTime: Number.POSITIVE_INFINITY } },
  });
  readonly foreign: string[] = [];
  readonly errors: string[] = [];
  restResyncs = 0;
  readonly #module: Module;
  #resyncing: Promise<void> = Promise.resolve();
  readonly #release: Array<() => void> = [];

  constructor(options: {
    url: string;
    identity: Identity;
    token: string;
    module: Module;
    localAddress?: string;
    /** Reconnect backoff; the client's default (0.5 s base, 30 s cap) when 'default'. Default: 0.5 s base, 5 s cap. */
    backoff?: 'default' | { baseMs: number; maxMs: number };
  }) {
    this.identity = options.identity;
    this.#module = options.module;
    this.client = new RealtimeClient({
      url: options.url,
      getToken: () => options.token,
      environment: null,
      queryClient: this.queryClient,
      pollIntervalMs: 2000,
      pingIntervalMs: 2000,
      ...(options.backoff !== 'default' && { backoff: options.backoff ?? { baseMs: 500, maxMs: 5000 } }),
      // Node's ws transport takes a source address (the typings only know browser options).
      ...(options.localAddress && {
        socketOptions: { localAddress: options.localAddress } as RealtimeClientOptions['socketOptions'],
      }),
    });
    this.client.subscribe(() => {
      const { status } = this.client.getState();
      if (this.statuses.at(-1) !== status) {
        this.statuses.push(status);
        if (status === 'live') this.liveAt.push(Date.now());
      }
    });
    this.client.onMessage((message) => {
      if (message.event === 'notification:new') {
        const data = message.envelope.data;
        if (
          data.tenantId !== this.identity.tenantId ||
          (data.audience.kind === 'user' && data.audience.userId !== this.identity.userId)
        ) {
          this.foreign.push(data.id);
        }
        this.messageDeliveries.set(data.id, (this.messageDeliveries.get(data.id) ?? 0) + 1);
        if (!this.notifications.has(data.id))
          this.notifications.set(data.id, message.envelope.replay ? 'replay' : 'live');
      } else if (message.event === 'kpi:update') {
        if (message.envelope.data.tenantId !== this.identity.tenantId) this.foreign.push('kpi');
      }
    });
    this.client.onStale((stream) => {
      this.#resyncing = this.#resyncing
        .then(() => this.#resync(stream))
        .catch((error: Error) => {
          this.errors.push(`resync ${stream}: ${error.message}`);
        });
    });
    this.client.onInvalid((_stream, error) => this.errors.push(error.message));
  }

  start(): void {
    // An observer keeps the KPI query active, so that invalidating it (a stale stream) refetches it.
    const kpis = new QueryObserver(this.queryClient, kpisQuery(this.client, this.#module));
    this.#release.push(
      kpis.subscribe(() => undefined),
      this.client.subscribeNotifications(),
      this.client.subscribeKpis(this.#module),
    );
    this.client.connect();
  }

  /** KPI values by key, as the query cache holds them now. */
  get kpis(): ReadonlyMap<string, number> {
    const snapshot = this.queryClient.getQueryData<KpiSnapshot>(realtimeKeys.kpis.module(this.#module));
    return new Map((snapshot?.kpis ?? []).map((kpi) => [kpi.key, kpi.value]));
  }

  async #resync(stream: string): Promise<void> {
    this.restResyncs += 1;
    if (stream.startsWith('notifications@')) await this.resyncNotifications();
  }

  async resyncNotifications(): Promise<void> {
    let cursor: string | null = null;
    for (let page = 0; page < 200; page += 1) {
      const result = await this.client.api.notifications({ cursor, limit: 100 });
      for (const item of result.items) if (!this.notifications.has(item.id)) this.notifications.set(item.id, 'rest');
      cursor = result.nextCursor;
      if (!cursor) return;
    }
  }

  /** Waits for pending REST resyncs and query refetches (bounded). */
  async settled(timeoutMs = 15_000): Promise<void> {
    await this.#resyncing;
    const deadline = Date.now() + timeoutMs;
    while (this.queryClient.isFetching() > 0 && Date.now() < deadline) await sleep(20);
  }

  duplicateDeliveries(): number {
    let duplicates = 0;
    for (const count of this.messageDeliveries.values()) duplicates += Math.max(0, count - 1);
    return duplicates;
  }

  get status(): ConnectionStatus {
    return this.client.getState().status;
  }

  close(): void {
    for (const release of this.#release.splice(0)) release();
    this.client.disconnect();
    this.queryClient.clear();
  }
}
