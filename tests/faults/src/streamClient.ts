import {
  type ClientToServerEvents,
  KpiSnapshot,
  type Module,
  PROTOCOL_VERSION,
  type ServerToClientEvents,
} from '@org/contracts';
import { backoffDelay } from '@org/realtime-react/core';
import { io, type Socket } from 'socket.io-client';
import { sleep } from './env.js';
import { fetchAllNotifications, http } from './http.js';
import type { Identity } from './tokens.js';

/** REST resync attempts before a client gives up (and the test reports the error). */
const RESYNC_ATTEMPTS = 6;

type AnySocket = Socket & { emitWithAck(event: string, payload: unknown): Promise<unknown> };
export type TypedSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

type Envelope = { id: string; stream: string; seq: number; ts: number; replay?: boolean; data: unknown };
type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export type StreamClientOptions = {
  url: string;
  /** REST base (defaults to url); a function so that it can follow a proxy or a restarted API. */
  restBase?: () => string;
  identity: Identity;
  token: string;
  localAddress?: string;
  module?: Module;
  /** socket.io-client's own reconnection with randomized backoff; off for one-shot clients. */
  reconnection?: boolean;
};

/**
 * A raw socket.io-client that follows the stream protocol the way the contract documents it:
 * subscribe, keep a cursor per stream, `stream:resume` after a reconnect, refetch over REST on
 * `stream:resync` or a cursor ahead of the server. It records every notification id it receives
 * over the socket (to count duplicates) and every one it ends up with (to count losses).
 */
export class StreamClient {
  readonly socket: AnySocket;
  readonly identity: Identity;
  readonly cursors = new Map<string, number>();
  /** Notification id -> how it arrived first. */
  readonly notifications = new Map<string, 'live' | 'replay' | 'rest'>();
  /** Notification id -> times received over the socket. */
  readonly socketDeliveries = new Map<string, number>();
  readonly kpis = new Map<string, number>();
  /** KPI key -> the sequence number of the live update that set its value. */
  readonly #kpiSeq = new Map<string, number>();
  /** Envelopes whose data names another tenant, or a user notification for someone else. */
  readonly foreign: string[] = [];
  readonly readyAt: number[] = [];
  readonly errors: string[] = [];
  /** What happened on reconnects (for failure messages). */
  readonly log: string[] = [];
  restResyncs = 0;
  replayed = 0;
  /** Streams the server said it could not replay (resume answer or `stream:resync`). */
  serverResyncs = 0;
  /**
   * Of those, streams on which this client had seen an event (cursor > 0). A stream that was still
   * empty when the client subscribed is always resynced: with epoch numbering the server cannot
   * tell "saw nothing of this epoch" from "saw nothing before a restart".
   */
  resyncsOfSeenStreams = 0;
  serverDisconnects = 0;
  #reconnect: boolean;
  #options: StreamClientOptions;
  #resyncing: Promise<void> | undefined;

  constructor(options: StreamClientOptions) {
    this.#options = options;
    this.identity = options.identity;
    this.#reconnect = options.reconnection ?? true;
    this.socket = io(options.url, {
      auth: { token: options.token, protocol: PROTOCOL_VERSION },
      transports: ['websocket'],
      forceNew: true,
      reconnection: options.reconnection ?? true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
      timeout: 10_000,
      ...(options.localAddress && { localAddress: options.localAddress }),
    }) as unknown as AnySocket;
    this.socket.on(
      'session:ready',
      () => void this.#onReady().catch((error: Error) => this.errors.push(error.message)),
    );
    this.socket.on('notification:new', (envelope: Envelope) => this.#onNotification(envelope));
    this.socket.on('kpi:update', (envelope: Envelope) => this.#onKpis(envelope));
    this.socket.on('disconnect', (reason) => {
      this.#note(`disconnect (${reason})`);
      // socket.io-client does not reconnect by itself after the server said goodbye (a graceful
      // shutdown disconnects every socket); a client that wants its streams back does, with jitter.
      if (reason === 'io server disconnect' && this.#reconnect) {
        this.serverDisconnects += 1;
        setTimeout(
          () => {
            if (this.#reconnect && !this.socket.connected) this.socket.connect();
          },
          250 + Math.random() * 1500,
        );
      }
    });
    this.socket.on('stream:resync', (envelope: Envelope) => {
      const { stream, reason } = envelope.data as { stream: string; reason: string };
      this.serverResyncs += 1;
      this.#note(`stream:resync ${stream} (${reason})`);
      this.cursors.delete(stream);
      void this.#resync(stream);
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get base(): string {
    return this.#options.restBase?.() ?? this.#options.url;
  }

  /** Resolves when the first session is ready (and subscriptions are done). */
  ready(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (this.readyAt.length > 0 && this.#subscribed) return resolve();
        if (Date.now() - started > timeoutMs)
          return reject(new Error(`${this.identity.userId} not ready: ${this.errors.join('; ')}`));
        setTimeout(check, 20);
      };
      check();
    });
  }

  #subscribed = false;

  async #ack<T>(event: string, payload: unknown): Promise<T> {
    const answer = (await this.socket.timeout(10_000).emitWithAck(event, payload)) as Ack<T>;
    if (!answer.ok) throw new Error(`${event}: ${answer.error.code} ${answer.error.message}`);
    return answer.data;
  }

  async #onReady(): Promise<void> {
    const reconnect = this.readyAt.length > 0;
    this.readyAt.push(Date.now());
    this.#note(`session:ready #${this.readyAt.length}`);
    this.#subscribed = false;
    const positions = (await this.#ack<{ streams: { stream: string; seq: number }[] }>('notifications:subscribe', {}))
      .streams;
    if (this.#options.module) {
      positions.push(
        await this.#ack<{ stream: string; seq: number }>('kpi:subscribe', { module: this.#options.module }),
      );
    }
    const resume: Record<string, number> = {};
    const stale: string[] = [];
    for (const { stream, seq } of positions) {
      const cursor = this.cursors.get(stream);
      if (cursor === undefined) {
        this.cursors.set(stream, seq);
        if (reconnect || stream.startsWith('kpi@')) stale.push(stream);
      } else if (cursor > seq) {
        // The server counts from an older number than we saw: it restarted. Start over from it.
        this.cursors.set(stream, seq);
        stale.push(stream);
      } else if (cursor < seq) {
        resume[stream] = cursor;
      }
    }
    // Live frames may have moved a cursor while the subscriptions were answered.
    for (const stream of Object.keys(resume)) resume[stream] = this.cursors.get(stream) ?? 0;
    if (reconnect)
      this.#note(
        `positions ${JSON.stringify(positions.map((p) => [p.stream.split(':').pop(), p.seq]))} stale ${stale.length}`,
      );
    if (Object.keys(resume).length > 0) {
      const answer = await this.#ack<{ replayed: number; resync: string[] }>('stream:resume', { cursors: resume });
      this.replayed += answer.replayed;
      this.serverResyncs += answer.resync.length;
      for (const stream of answer.resync) {
        this.#note(`resume answered resync ${stream}`);
        if ((resume[stream] ?? 0) > 0) this.resyncsOfSeenStreams += 1;
      }
      this.#note(`resume ${JSON.stringify(resume)} -> replayed ${answer.replayed} resync ${answer.resync.length}`);
    }
    this.#subscribed = true;
    for (const stream of stale) await this.#resync(stream);
  }

  #onNotification(envelope: Envelope): void {
    const data = envelope.data as { id: string; tenantId: string; audience: { kind: string; userId?: string } };
    if (
      data.tenantId !== this.identity.tenantId ||
      (data.audience.kind === 'user' && data.audience.userId !== this.identity.userId)
    ) {
      this.foreign.push(`${envelope.stream} ${data.id}`);
    }
    this.socketDeliveries.set(data.id, (this.socketDeliveries.get(data.id) ?? 0) + 1);
    if (!this.notifications.has(data.id)) this.notifications.set(data.id, envelope.replay ? 'replay' : 'live');
    this.#advance(envelope);
  }

  #onKpis(envelope: Envelope): void {
    const data = envelope.data as { tenantId: string; kpis: { key: string; value: number }[] };
    if (data.tenantId !== this.identity.tenantId) this.foreign.push(`${envelope.stream} kpi`);
    for (const kpi of data.kpis) {
      // A replay or a late frame must not take a value back.
      if ((this.#kpiSeq.get(kpi.key) ?? Number.NEGATIVE_INFINITY) > envelope.seq) continue;
      this.kpis.set(kpi.key, kpi.value);
      this.#kpiSeq.set(kpi.key, envelope.seq);
    }
    this.#advance(envelope);
  }

  #advance(envelope: Envelope): void {
    const cursor = this.cursors.get(envelope.stream);
    if (cursor !== undefined && envelope.seq > cursor + 1 && !envelope.replay) {
      // A gap: something was missed on the way; the snapshot is the truth.
      void this.#resync(envelope.stream);
    }
    if (cursor === undefined || envelope.seq > cursor) this.cursors.set(envelope.stream, envelope.seq);
  }

  /**
   * REST refetch of a stream's data (serialised: one at a time per client). A failed attempt (the
   * API busy answering a whole crowd's refetches, or down again) is retried with jittered backoff,
   * as any client that must not show stale data would.
   */
  async #resync(stream: string): Promise<void> {
    const previous = this.#resyncing ?? Promise.resolve();
    const next = previous.then(async () => {
      this.restResyncs += 1;
      for (let attempt = 1; ; attempt += 1) {
        try {
          if (stream.startsWith('kpi@') && this.#options.module) await this.resyncKpis();
          else if (stream.startsWith('notifications@')) await this.resyncNotifications();
          return;
        } catch (error) {
          if (attempt >= RESYNC_ATTEMPTS) throw error;
          this.#note(`resync ${stream} attempt ${attempt}: ${(error as Error).message}`);
          await sleep(backoffDelay(attempt, { baseMs: 500, maxMs: 8_000 }));
        }
      }
    });
    this.#resyncing = next.catch((error: Error) => {
      this.errors.push(`resync ${stream}: ${error.message}`);
    });
    await this.#resyncing;
  }

  async resyncNotifications(): Promise<void> {
    const ids = await fetchAllNotifications(this.base, this.#options.token);
    let added = 0;
    for (const id of ids) {
      if (this.notifications.has(id)) continue;
      this.notifications.set(id, 'rest');
      added += 1;
    }
    this.#note(`REST notifications: ${ids.length}, ${added} new`);
  }

  /** A line of the client's story (for failure messages), with the time it happened. */
  #note(line: string): void {
    this.log.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
  }

  async resyncKpis(): Promise<void> {
    const result = await http(this.base, 'GET', `/api/kpis?module=${this.#options.module}`, {
      token: this.#options.token,
    });
    if (result.status !== 200) throw new Error(`GET /api/kpis: ${result.status}`);
    const snapshot = KpiSnapshot.parse(result.body);
    // The snapshot holds at least everything up to its position; a live update numbered after it,
    // which arrived while the request was in flight, may be newer than the snapshot's value.
    for (const kpi of snapshot.kpis) {
      if ((this.#kpiSeq.get(kpi.key) ?? Number.NEGATIVE_INFINITY) > snapshot.position.seq) continue;
      this.kpis.set(kpi.key, kpi.value);
    }
  }

  /** Waits for pending REST resyncs. */
  async settled(): Promise<void> {
    await this.#resyncing;
  }

  /** Socket deliveries of one id beyond the first. */
  duplicateDeliveries(): number {
    let duplicates = 0;
    for (const count of this.socketDeliveries.values()) duplicates += Math.max(0, count - 1);
    return duplicates;
  }

  close(): void {
    this.#reconnect = false;
    this.socket.io.reconnection(false);
    this.socket.disconnect();
  }
}
