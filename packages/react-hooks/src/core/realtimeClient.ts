import {
  type Channel,
  type ClientEventName,
  type ClientEventRequest,
  type ClientEventResponse,
  type ClientToServerEvents,
  ConnectErrorData,
  clientAckSchema,
  type Envelope,
  type ErrorBody,
  type ErrorCode,
  type Module,
  PROTOCOL_VERSION,
  rooms,
  type ServerEventData,
  type ServerEventName,
  type ServerToClientEvents,
  type SessionReady,
  serverEnvelopeSchema,
  serverEventNames,
  serverEvents,
  streamName,
} from '@org/contracts';
import type { QueryClient } from '@tanstack/query-core';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { ClockOffset } from './clock.js';
import { RealtimeRequestError } from './errors.js';
import { realtimeKeys } from './queryKeys.js';
import { QueryCacheSync } from './querySync.js';
import { type GetToken, RestClient } from './restClient.js';
import { StreamCursors } from './streamCursors.js';
import { Subscribable } from './subscribable.js';

/**
 * `connecting`: first attempt, nothing known yet. `live`: the socket is up and the session ready.
 * `polling`: the socket is down and queries poll REST instead. `offline`: the browser is offline
 * (or polling is off) and nothing is refreshing. `unauthorized`: the token was refused even after a
 * refresh; terminal until `connect()` is called again.
 */
export type ConnectionStatus = 'connecting' | 'live' | 'polling' | 'offline' | 'unauthorized';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Round trip of the last ping ack, in ms; null until measured and while not live. */
  latencyMs: number | null;
  /** Server clock minus this client's clock, in ms, from the pings. */
  clockOffsetMs: number;
  /** Reconnect attempts since the socket was last live (0 while live). */
  attempt: number;
  /** Epoch ms of the last time the session became live. */
  lastConnectedAt: number | null;
  /** Epoch ms of the next scheduled reconnect attempt, if one is scheduled. */
  nextRetryAt: number | null;
  /** The session the server announced; kept while reconnecting. */
  session: SessionReady | null;
  /** Why the connection is not live, when the server or the network said so. */
  error: { code: ErrorCode; message: string } | null;
}

/** One applied server event with its delivery facts. */
export type RealtimeMessage<TEvent extends ServerEventName = ServerEventName> = TEvent extends ServerEventName
  ? {
      event: TEvent;
      envelope: Envelope<ServerEventData<TEvent>>;
      /** Client epoch ms when it arrived. */
      receivedAt: number;
      /** Server timestamp to receipt, corrected by the measured clock offset, in ms. */
      latencyMs: number;
    }
  : never;

export type StaleReason = 'gap' | 'resync' | 'reset' | 'reconnect';

export interface RealtimeClientOptions {
  /** Socket.IO server URL (origin, optionally with namespace). */
  url: string;
  /**
   * Called for every (re)connect and REST request; return the bearer token. `forceRefresh` is true
   * after the server refused the last one (expired or invalid): get a new one (e.g. `POST /api/auth/refresh`).
   * Return null when signed out.
   */
  getToken: GetToken;
  /** Live events are written into this cache; gaps and resyncs invalidate its entries. */
  queryClient?: QueryClient;
  /** Base URL of the REST API. Default: same as `url`. */
  apiUrl?: string;
  /** The fetch used for REST; the global one by default. */
  fetch?: typeof fetch;
  /** Ping period while live, for latency and clock offset. Default 5000 ms. */
  pingIntervalMs?: number;
  /** How long a request waits for its ack. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Reconnect backoff (full jitter). Default base 500 ms, max 30 s. */
  backoff?: BackoffOptions;
  /** REST polling period while the socket is down; `false` disables polling. Default 10 000 ms. */
  pollIntervalMs?: number | false;
  /** Values kept per KPI for sparklines. Default 60 (the contract allows 120). */
  historyLimit?: number;
  /** Validate every incoming envelope against the contract. Default true. */
  validate?: boolean;
  /** Random source for the jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Browser globals to watch for `online` and `visibilitychange`; found on `globalThis` by default, `null` to disable. */
  environment?: BrowserEnvironment | null;
  /** Extra socket.io-client options (`path`, `transports`, ...). Reconnection is always managed by this client. */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

export interface BrowserEnvironment {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
  navigator?: { onLine?: boolean };
  document?: {
    visibilityState: string;
    addEventListener(type: 'visibilitychange', listener: () => void): void;
    removeEventListener(type: 'visibilitychange', listener: () => void): void;
  };
}

type TypedSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type AckCallback = (error: Error | null, response: unknown) => void;
type LooseEmitter = { emit(event: string, payload: unknown, ack: AckCallback): void };
type EventListener<TEvent extends ServerEventName> = (
  data: ServerEventData<TEvent>,
  message: RealtimeMessage<TEvent>,
) => void;

const AUTH_CODES: ReadonlySet<ErrorCode> = new Set(['UNAUTHORIZED', 'TOKEN_EXPIRED']);

/**
 * Owns one socket.io-client connection to the realtime server: status, reconnects with backoff,
 * fresh tokens, latency and clock offset, stream cursors with replay after reconnect, ref-counted
 * subscriptions, and (with a `queryClient`) the mapping of live events into TanStack Query's cache.
 * Framework-free: React binds to it through `subscribe` / `getState`.
 */
export class RealtimeClient extends Subscribable {
  readonly api: RestClient;
  readonly queryClient: QueryClient | undefined;
  readonly #options: RealtimeClientOptions;
  readonly #socket: TypedSocket;
  readonly #cursors = new StreamCursors();
  readonly #clock = new ClockOffset();
  readonly #eventListeners = new Map<ServerEventName, Set<EventListener<ServerEventName>>>();
  readonly #messageListeners = new Set<(message: RealtimeMessage) => void>();
  readonly #staleListeners = new Set<(stream: string, reason: StaleReason) => void>();
  readonly #invalidListeners = new Set<(stream: string | undefined, error: Error) => void>();
  readonly #kpiRefs = new Map<Module, number>();
  #dashboardRefs = 0;
  #notificationRefs = 0;
  #state: ConnectionState = {
    status: 'connecting',
    latencyMs: null,
    clockOffsetMs: 0,
    attempt: 0,
    lastConnectedAt: null,
    nextRetryAt: null,
    session: null,
    error: null,
  };
  #started = false;
  #opening = false;
  #refreshUsed = false;
  #forceRefreshNext = false;
  #reconnectAtOnce = false;
  #terminal = false;
  #browserOnline = true;
  #wasLive = false;
  /** Why the server is about to close the session (`session:ended`), reported once it does. */
  #sessionEnded: ConnectionState['error'] = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #pingGeneration = 0;
  #pollingEvery: number | false = false;
  #environment: BrowserEnvironment | null = null;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;
  #cacheSync: QueryCacheSync | undefined;
  #detachEnvironment: (() => void) | undefined;

  constructor(options: RealtimeClientOptions) {
    super();
    this.#options = options;
    this.queryClient = options.queryClient;
    this.api = new RestClient({
      baseUrl: options.apiUrl ?? options.url,
      getToken: options.getToken,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#socket = io(options.url, {
      transports: ['websocket'],
      ...options.socketOptions,
      autoConnect: false,
      reconnection: false,
    });
    this.#bindSocket();
  }

  // ------------------------------------------------------------------ observing

  getState = (): ConnectionState => this.#state;

  /** Whether requests can go over the socket right now. */
  get isConnected(): boolean {
    return this.#socket.connected;
  }

  /** The REST polling period for a status (the current one by default): a number while the socket is down, false while live. */
  pollInterval(status: ConnectionStatus = this.#state.status): number | false {
    const interval = this.#options.pollIntervalMs ?? 10_000;
    return status === 'polling' || status === 'connecting' ? interval : false;
  }

  /** Listens to one server event, after validation and de-duplication. */
  on<TEvent extends ServerEventName>(event: TEvent, listener: EventListener<TEvent>): () => void {
    let listeners = this.#eventListeners.get(event);
    if (!listeners) {
      listeners = new Set();
      this.#eventListeners.set(event, listeners);
    }
    const stored = listener as unknown as EventListener<ServerEventName>;
    listeners.add(stored);
    return () => listeners.delete(stored);
  }

  /** Listens to every applied server event. */
  onMessage(listener: (message: RealtimeMessage) => void): () => void {
    this.#messageListeners.add(listener);
    return () => this.#messageListeners.delete(listener);
  }

  /** Listens to streams whose cached data can no longer be trusted (gap, resync, server reset). */
  onStale(listener: (stream: string, reason: StaleReason) => void): () => void {
    this.#staleListeners.add(listener);
    return () => this.#staleListeners.delete(listener);
  }

  /** Listens to envelopes that failed validation against the contract. */
  onInvalid(listener: (stream: string | undefined, error: Error) => void): () => void {
    this.#invalidListeners.add(listener);
    return () => this.#invalidListeners.delete(listener);
  }

  /** The last applied sequence number per stream (what `stream:resume` will send). */
  cursors(): Record<string, number> {
    return this.#cursors.snapshot();
  }

  /** The stream name of a channel in a room of the current session's tenant; undefined before the session is known. */
  kpiStream(module: Module): string | undefined {
    const tenantId = this.#state.session?.tenantId;
    return tenantId ? streamName('kpi', rooms.module(tenantId, module)) : undefined;
  }

  /** Measures the delivery latency of an event stamped `serverTs` received at `receivedAt`. */
  deliveryLatency(serverTs: number, receivedAt = Date.now()): number {
    return this.#clock.deliveryLatency(serverTs, receivedAt);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Starts connecting (idempotent). Also binds the query cache and the browser's online/visibility events. */
  connect(): void {
    if (this.#started) return;
    this.#started = true;
    this.#terminal = false;
    this.#refreshUsed = false;
    if (this.queryClient && !this.#cacheSync) {
      this.#cacheSync = new QueryCacheSync(this, this.queryClient, { historyLimit: this.#options.historyLimit ?? 60 });
    }
    this.#attachEnvironment();
    if (this.#state.status === 'unauthorized' || this.#state.status === 'offline') {
      this.#setState({ status: 'connecting', error: null });
    }
    this.#syncPolling();
    void this.#open();
  }

  /** Closes the socket and stops every timer and listener; `connect()` may start again. */
  disconnect(): void {
    this.#started = false;
    this.#opening = false;
    this.#clearRetry();
    this.#stopPing();
    this.#detachEnvironment?.();
    this.#detachEnvironment = undefined;
    this.#cacheSync?.dispose();
    this.#cacheSync = undefined;
    this.#socket.disconnect();
    this.#setState({ status: 'offline', latencyMs: null, nextRetryAt: null });
    this.#syncPolling();
  }

  /** Tries to reconnect now instead of waiting for the backoff (also done on `online` and on a visible tab). */
  reconnectNow(): void {
    if (!this.#started || this.#terminal || this.#socket.connected || this.#opening) return;
    this.#clearRetry();
    void this.#open();
  }

  // ------------------------------------------------------------------ requests and subscriptions

  /**
   * Sends a client request and resolves with its typed ack data; rejects with a
   * `RealtimeRequestError` carrying the contract's error code (`UNAVAILABLE` when not connected or
   * timed out).
   */
  request<TEvent extends ClientEventName>(
    event: TEvent,
    payload: ClientEventRequest<TEvent>,
    options: { timeoutMs?: number } = {},
  ): Promise<ClientEventResponse<TEvent>> {
    if (!this.#socket.connected) {
      return Promise.reject(new RealtimeRequestError(event, { code: 'UNAVAILABLE', message: 'not connected' }));
    }
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const emitter = this.#socket.timeout(timeoutMs) as unknown as LooseEmitter;
      emitter.emit(event, payload, (error, response) => {
        if (error) {
          reject(new RealtimeRequestError(event, { code: 'UNAVAILABLE', message: `no ack within ${timeoutMs} ms` }));
          return;
        }
        const parsed = clientAckSchema(event).safeParse(response);
        if (!parsed.success) {
          reject(new RealtimeRequestError(event, { code: 'INTERNAL', message: 'the ack does not match the contract' }));
        } else if (parsed.data.ok) {
          resolve(parsed.data.data);
        } else {
          reject(new RealtimeRequestError(event, parsed.data.error as ErrorBody));
        }
      });
    });
  }

  /**
   * Joins a module's KPI stream. Subscriptions are ref-counted: one server subscription however
   * many callers, released when the last one calls the returned function; renewed after reconnects.
   */
  subscribeKpis(module: Module): () => void {
    const count = this.#kpiRefs.get(module) ?? 0;
    this.#kpiRefs.set(module, count + 1);
    if (count === 0 && this.#isLive()) void this.#subscribeOnServer({ kind: 'kpi', module });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const remaining = (this.#kpiRefs.get(module) ?? 1) - 1;
      if (remaining > 0) {
        this.#kpiRefs.set(module, remaining);
        return;
      }
      this.#kpiRefs.delete(module);
      const stream = this.kpiStream(module);
      if (stream) this.#cursors.delete(stream);
      if (this.#isLive()) this.request('kpi:unsubscribe', { module }).catch(() => undefined);
    };
  }

  /** Number of callers holding a module's KPI subscription. */
  kpiSubscribers(module: Module): number {
    return this.#kpiRefs.get(module) ?? 0;
  }

  /** Joins the tenant's dashboard stream (ref-counted like `subscribeKpis`). */
  subscribeDashboard(): () => void {
    this.#dashboardRefs += 1;
    if (this.#dashboardRefs === 1 && this.#isLive()) void this.#subscribeOnServer({ kind: 'dashboard' });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#dashboardRefs -= 1;
      if (this.#dashboardRefs === 0 && this.#isLive()) {
        this.request('dashboard:unsubscribe', {}).catch(() => undefined);
      }
    };
  }

  /** Takes the positions of the user's notification streams, to resume them after a reconnect (ref-counted). */
  subscribeNotifications(): () => void {
    this.#notificationRefs += 1;
    if (this.#notificationRefs === 1 && this.#isLive()) void this.#subscribeOnServer({ kind: 'notifications' });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#notificationRefs -= 1;
    };
  }

  // ------------------------------------------------------------------ internals

  #isLive(): boolean {
    return this.#state.status === 'live' && this.#socket.connected;
  }

  #setState(patch: Partial<ConnectionState>): void {
    const next = { ...this.#state, ...patch };
    const keys = Object.keys(patch) as Array<keyof ConnectionState>;
    if (keys.every((key) => Object.is(next[key], this.#state[key]))) return;
    this.#state = next;
    this.#syncPolling();
    for (const listener of this.listeners) listener();
  }

  /**
   * While the socket is down, the active realtime queries refetch from REST every `pollIntervalMs`
   * (in any environment, and skipping hidden tabs); once live, the socket keeps them current.
   */
  #syncPolling(): void {
    const interval = this.#started && this.queryClient ? this.pollInterval() : false;
    if (interval === this.#pollingEvery) return;
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#pollingEvery = interval;
    const queryClient = this.queryClient;
    if (interval === false || !queryClient) return;
    this.#pollTimer = setInterval(() => {
      if (this.#environment?.document?.visibilityState === 'hidden') return;
      void queryClient.refetchQueries({ queryKey: realtimeKeys.all, type: 'active' }, { cancelRefetch: false });
    }, interval);
  }

  #downStatus(): ConnectionStatus {
    if (!this.#browserOnline || this.#options.pollIntervalMs === false) return 'offline';
    return 'polling';
  }

  async #open(): Promise<void> {
    if (!this.#started || this.#terminal || this.#opening || this.#socket.connected) return;
    this.#opening = true;
    const forceRefresh = this.#forceRefreshNext;
    this.#forceRefreshNext = false;
    let token: string | null | undefined;
    try {
      token = await this.#options.getToken({ forceRefresh });
    } catch (error) {
      this.#opening = false;
      if (!this.#started) return;
      if (forceRefresh) this.#setUnauthorized(error instanceof Error ? error.message : 'token refresh failed');
      else this.#scheduleRetry({ code: 'UNAUTHORIZED', message: 'getToken failed' });
      return;
    }
    if (!this.#started) {
      this.#opening = false;
      return;
    }
    if (!token) {
      this.#opening = false;
      this.#setUnauthorized('no token');
      return;
    }
    // `#opening` stays set until the socket reports `connect` or `connect_error`.
    this.#socket.auth = { token, protocol: PROTOCOL_VERSION };
    this.#socket.connect();
  }

  #setUnauthorized(message: string): void {
    this.#terminal = true;
    this.#clearRetry();
    this.#stopPing();
    this.#socket.disconnect();
    this.#setState({
      status: 'unauthorized',
      latencyMs: null,
      nextRetryAt: null,
      error: { code: 'UNAUTHORIZED', message },
    });
  }

  #scheduleRetry(error: ConnectionState['error']): void {
    if (!this.#started || this.#terminal) return;
    this.#clearRetry();
    const attempt = this.#state.attempt;
    const delay = this.#reconnectAtOnce ? 0 : backoffDelay(attempt, this.#options.backoff, this.#options.random);
    this.#reconnectAtOnce = false;
    this.#setState({
      status: this.#downStatus(),
      attempt: attempt + 1,
      latencyMs: null,
      nextRetryAt: Date.now() + delay,
      error,
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#setState({ nextRetryAt: null });
      void this.#open();
    }, delay);
  }

  #clearRetry(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #bindSocket(): void {
    const socket = this.#socket;
    socket.on('connect', () => {
      this.#opening = false;
    });
    socket.on('connect_error', (error) => {
      this.#opening = false;
      const data = ConnectErrorData.safeParse((error as Error & { data?: unknown }).data);
      if (!data.success) {
        this.#scheduleRetry({ code: 'UNAVAILABLE', message: error.message });
        return;
      }
      const { code, message } = data.data;
      if (AUTH_CODES.has(code)) {
        if (this.#refreshUsed) {
          this.#setUnauthorized(message);
          return;
        }
        // One refresh and an immediate retry; a second refusal is final.
        this.#refreshUsed = true;
        this.#forceRefreshNext = true;
        this.#reconnectAtOnce = true;
        this.#scheduleRetry({ code, message });
        return;
      }
      if (code === 'PROTOCOL_MISMATCH' || !data.data.retryable) {
        // Retrying cannot help (another protocol version, a refused origin); REST polling keeps
        // the data honest where it can, and the error says why the socket stays down.
        this.#terminal = true;
        this.#clearRetry();
        this.#setState({ status: this.#downStatus(), error: { code, message }, nextRetryAt: null });
        return;
      }
      this.#scheduleRetry({ code, message });
    });

    socket.on('disconnect', (reason) => {
      this.#stopPing();
      if (!this.#started || this.#terminal || reason === 'io client disconnect') return;
      const ended = this.#sessionEnded;
      this.#sessionEnded = null;
      this.#scheduleRetry(ended ?? { code: 'UNAVAILABLE', message: reason });
    });

    for (const event of serverEventNames) {
      const channel = serverEvents[event].channel;
      const listener = (raw: unknown) => this.#receive(event, channel, raw);
      (socket as unknown as { on(event: string, listener: (raw: unknown) => void): void }).on(event, listener);
    }
  }

  #receive(event: ServerEventName, channel: Channel, raw: unknown): void {
    const receivedAt = Date.now();
    let envelope: Envelope<unknown>;
    if (this.#options.validate === false) {
      envelope = raw as Envelope<unknown>;
    } else {
      const parsed = serverEnvelopeSchema(event).safeParse(raw);
      if (!parsed.success) {
        const stream = (raw as { stream?: unknown } | null)?.stream;
        const error = new Error(`invalid ${event}: ${parsed.error.message}`);
        for (const listener of this.#invalidListeners) listener(typeof stream === 'string' ? stream : undefined, error);
        return;
      }
      envelope = parsed.data;
    }

    // Session events belong to this socket alone: no cursor, no replay.
    if (channel !== 'session') {
      const verdict = this.#cursors.accept(envelope.stream, envelope.seq, envelope.id);
      if (verdict.kind === 'duplicate') return;
      if (verdict.kind === 'gap') this.#stale(envelope.stream, 'gap');
    }

    switch (event) {
      case 'session:ready':
        this.#onSessionReady(envelope.data as SessionReady, receivedAt);
        break;
      case 'session:ended': {
        const { code, message } = envelope.data as ServerEventData<'session:ended'>;
        if (AUTH_CODES.has(code)) {
          // The refresh this asks for counts as the one allowed: a refusal after it is final.
          this.#forceRefreshNext = true;
          this.#refreshUsed = true;
        }
        this.#reconnectAtOnce = code !== 'RATE_LIMITED';
        this.#sessionEnded = { code, message };
        break;
      }
      case 'stream:resync': {
        const { stream } = envelope.data as ServerEventData<'stream:resync'>;
        this.#cursors.delete(stream);
        this.#stale(stream, 'resync');
        break;
      }
      default:
        break;
    }

    const message = {
      event,
      envelope,
      receivedAt,
      latencyMs: this.#clock.deliveryLatency(envelope.ts, receivedAt),
    } as RealtimeMessage;
    for (const listener of this.#messageListeners) listener(message);
    for (const listener of this.#eventListeners.get(event) ?? []) listener(envelope.data as never, message as never);
  }

  #onSessionReady(session: SessionReady, receivedAt: number): void {
    this.#clearRetry();
    this.#clock.seed(session.serverTime, receivedAt);
    const reconnected = this.#wasLive;
    this.#wasLive = true;
    this.#refreshUsed = false;
    this.#setState({
      status: 'live',
      attempt: 0,
      lastConnectedAt: Date.now(),
      nextRetryAt: null,
      session,
      error: null,
      clockOffsetMs: this.#clock.offsetMs,
    });
    this.#startPing();
    void this.#resume(reconnected);
  }

  /**
   * After (re)connecting: renew the subscriptions (the server only resumes streams of rooms the
   * socket is in), then ask for what each stream missed since its cursor.
   */
  async #resume(reconnected: boolean): Promise<void> {
    const before = this.#cursors.snapshot();
    const work: Array<Promise<void>> = [];
    for (const module of this.#kpiRefs.keys()) work.push(this.#subscribeOnServer({ kind: 'kpi', module }, reconnected));
    if (this.#dashboardRefs > 0) work.push(this.#subscribeOnServer({ kind: 'dashboard' }, reconnected));
    if (this.#notificationRefs > 0) work.push(this.#subscribeOnServer({ kind: 'notifications' }, reconnected));
    await Promise.all(work);
    // Resume what this client followed before the connection, minus what the subscriptions found
    // ahead of the server (reset already). A first connection has nothing to resume.
    const cursors = Object.fromEntries(Object.entries(this.#cursors.snapshot()).filter(([stream]) => stream in before));
    if (Object.keys(cursors).length > 0 && this.#socket.connected) {
      const forget = (stream: string) => {
        // Only the cursor that was sent: a newer event may have moved it meanwhile.
        if (this.#cursors.get(stream) === cursors[stream]) this.#cursors.delete(stream);
        this.#stale(stream, 'resync');
      };
      try {
        const answer = await this.request('stream:resume', { cursors });
        for (const stream of answer.resync) forget(stream);
      } catch (error) {
        // Lost with the connection: the cursors stay for the next one. Refused: start over.
        if (!this.#socket.connected) return;
        for (const stream of Object.keys(cursors)) forget(stream);
        if (error instanceof Error) for (const listener of this.#invalidListeners) listener(undefined, error);
      }
    }
    if (reconnected && !Object.keys(before).some((stream) => stream.startsWith('alerts@'))) {
      // Alerts have no subscribe ack to learn positions from: refetch what the outage may have hidden.
      this.#stale('alerts@*', 'reconnect');
    }
  }

  /**
   * Joins a stream on the server and aligns the cursors with the positions it answers. While
   * resuming, streams that already have a cursor keep it: `stream:resume` replays from there.
   */
  async #subscribeOnServer(
    target: { kind: 'kpi'; module: Module } | { kind: 'dashboard' } | { kind: 'notifications' },
    resuming = false,
  ): Promise<void> {
    try {
      let positions: Array<{ stream: string; seq: number }>;
      if (target.kind === 'kpi') positions = [await this.request('kpi:subscribe', { module: target.module })];
      else if (target.kind === 'dashboard') positions = (await this.request('dashboard:subscribe', {})).streams;
      else positions = (await this.request('notifications:subscribe', {})).streams;
      for (const { stream, seq } of positions) {
        // While resuming, a cursor at or behind the server stays for `stream:resume` to replay from;
        // one ahead of it means the server lost its sequence (a restart): start over from its position.
        const cursor = this.#cursors.get(stream);
        if (resuming && cursor !== undefined && cursor <= seq) continue;
        if (resuming && cursor === undefined && seq > 0) {
          // No cursor to resume from: whatever the stream carried while away must come from a refetch.
          this.#cursors.align(stream, seq);
          this.#stale(stream, 'gap');
          continue;
        }
        const verdict = this.#cursors.align(stream, seq);
        if (verdict !== 'ok') this.#stale(stream, verdict);
      }
    } catch (error) {
      const code = error instanceof RealtimeRequestError ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      for (const listener of this.#invalidListeners) {
        listener(undefined, new Error(`${target.kind} subscribe failed: ${code} ${message}`));
      }
    }
  }

  #stale(stream: string, reason: StaleReason): void {
    for (const listener of this.#staleListeners) listener(stream, reason);
  }

  #startPing(): void {
    this.#stopPing();
    const interval = this.#options.pingIntervalMs ?? 5_000;
    // A loop belongs to one generation: a ping still in flight when the loop is restarted ends it.
    const generation = ++this.#pingGeneration;
    const tick = async () => {
      if (!this.#socket.connected || generation !== this.#pingGeneration) return;
      const sentAt = Date.now();
      try {
        const answer = await this.request('ping', { clientTime: sentAt }, { timeoutMs: interval });
        const rtt = this.#clock.add({ sentAt, serverTime: answer.serverTime, receivedAt: Date.now() });
        if (generation === this.#pingGeneration && this.#state.status === 'live') {
          this.#setState({ latencyMs: rtt, clockOffsetMs: this.#clock.offsetMs });
        }
      } catch {
        // A lost ping says nothing the disconnect handler will not.
      }
      if (this.#socket.connected && generation === this.#pingGeneration) this.#pingTimer = setTimeout(tick, interval);
    };
    this.#pingTimer = setTimeout(tick, 0);
  }

  #stopPing(): void {
    this.#pingGeneration += 1;
    if (this.#pingTimer !== undefined) clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #attachEnvironment(): void {
    if (this.#detachEnvironment) return;
    const env = this.#options.environment === undefined ? defaultEnvironment() : this.#options.environment;
    this.#environment = env;
    if (!env) return;
    this.#browserOnline = env.navigator?.onLine !== false;
    const online = () => {
      this.#browserOnline = true;
      if (this.#state.status === 'offline') this.#setState({ status: this.#downStatus() });
      this.reconnectNow();
    };
    const offline = () => {
      this.#browserOnline = false;
      if (!this.#socket.connected && this.#state.status !== 'unauthorized') this.#setState({ status: 'offline' });
    };
    const visibility = () => {
      if (env.document?.visibilityState === 'visible') this.reconnectNow();
    };
    env.addEventListener('online', online);
    env.addEventListener('offline', offline);
    env.document?.addEventListener('visibilitychange', visibility);
    this.#detachEnvironment = () => {
      env.removeEventListener('online', online);
      env.removeEventListener('offline', offline);
      env.document?.removeEventListener('visibilitychange', visibility);
    };
  }
}

function defaultEnvironment(): BrowserEnvironment | null {
  const candidate = globalThis as unknown as Partial<BrowserEnvironment> & {
    document?: BrowserEnvironment['document'];
  };
  if (typeof candidate.addEventListener !== 'function' || typeof candidate.removeEventListener !== 'function')
    return null;
  return candidate as BrowserEnvironment;
}
