import type { ServerEventName } from '@org/contracts';
import type { RealtimeClient, RealtimeMessage, StaleReason } from './realtimeClient.js';
import { Subscribable } from './subscribable.js';

export interface StreamObserverResult<TEvent extends ServerEventName = ServerEventName> {
  /** The last applied message on the stream, with its delivery latency. */
  lastMessage: RealtimeMessage<TEvent> | null;
  /** Messages applied since the observer started. */
  messageCount: number;
  /** The last thing that went wrong on the stream: an invalid envelope, a gap or a resync. */
  error: Error | null;
}

/**
 * Watches one stream (`channel@room`) of a client while it has listeners, optionally only some
 * events of it. The result object changes identity only when something changed.
 */
export class StreamObserver<TEvent extends ServerEventName = ServerEventName> extends Subscribable {
  readonly #client: RealtimeClient;
  readonly #stream: string;
  readonly #events: ReadonlySet<ServerEventName> | undefined;
  #result: StreamObserverResult<TEvent> = { lastMessage: null, messageCount: 0, error: null };
  #detach: Array<() => void> = [];

  constructor(client: RealtimeClient, stream: string, events?: readonly TEvent[]) {
    super();
    this.#client = client;
    this.#stream = stream;
    this.#events = events ? new Set(events) : undefined;
  }

  getResult = (): StreamObserverResult<TEvent> => this.#result;

  protected override onSubscribe(): void {
    this.#detach = [
      this.#client.onMessage((message) => {
        if (message.envelope.stream !== this.#stream) return;
        if (this.#events && !this.#events.has(message.event)) return;
        this.#update({
          lastMessage: message as RealtimeMessage<TEvent>,
          messageCount: this.#result.messageCount + 1,
        });
      }),
      this.#client.onInvalid((stream, error) => {
        if (stream === this.#stream) this.#update({ error });
      }),
      this.#client.onStale((stream, reason: StaleReason) => {
        if (stream === this.#stream) this.#update({ error: new Error(`stream ${stream}: ${reason}`) });
      }),
    ];
  }

  protected override onUnsubscribe(): void {
    for (const detach of this.#detach) detach();
    this.#detach = [];
  }

  #update(patch: Partial<StreamObserverResult<TEvent>>): void {
    this.#result = { ...this.#result, ...patch };
    for (const listener of this.listeners) listener();
  }
}
