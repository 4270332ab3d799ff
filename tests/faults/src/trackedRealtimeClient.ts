import type { Module } from '@org/contracts';
import { type ConnectionStatus, RealtimeClient, type RealtimeClientOptions } from '@org/realtime-react/core';
import type { Identity } from './tokens.js';

/**
 * The framework-free `RealtimeClient` as a dashboard uses it (no React), instrumented: status
 * transitions, notification ids applied (live or via REST after a stale stream) and KPI values.
 */
export class TrackedRealtimeClient {
  readonly client: RealtimeClient;
  readonly identity: Identity;
  readonly statuses: ConnectionStatus[] = [];
  readonly liveAt: number[] = [];
  readonly notifications = new Map<string, 'live' | 'replay' | 'rest'>();
  readonly messageDeliveries = new Map<string, number>();
  readonly kpis = new Map<string, number>();
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
        for (const kpi of message.envelope.data.kpis) this.kpis.set(kpi.key, kpi.value);
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
    this.#release.push(this.client.subscribeNotifications(), this.client.subscribeKpis(this.#module));
    this.client.connect();
  }

  async #resync(stream: string): Promise<void> {
    this.restResyncs += 1;
    if (stream.startsWith('notifications@')) await this.resyncNotifications();
    else if (stream.startsWith('kpi@')) await this.resyncKpis();
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

  async resyncKpis(): Promise<void> {
    const snapshot = await this.client.api.kpis(this.#module);
    for (const kpi of snapshot.kpis) this.kpis.set(kpi.key, kpi.value);
  }

  async settled(): Promise<void> {
    await this.#resyncing;
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
  }
}
