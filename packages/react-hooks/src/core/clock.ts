/** One ping round trip: when the client sent it, the server's clock when it answered, and when it came back. */
export interface ClockSample {
  sentAt: number;
  serverTime: number;
  receivedAt: number;
}

/**
 * Estimates the offset between the server's clock and this client's (server = client + offset)
 * from ping round trips, NTP style: assuming the answer was stamped half way through the round
 * trip. Among recent samples, the one with the shortest round trip is the most trustworthy.
 */
export class ClockOffset {
  readonly #samples: Array<{ offset: number; rtt: number }> = [];
  readonly #window: number;

  constructor(window = 8) {
    this.#window = window;
  }

  /** Adds a sample and returns its round-trip time in ms. */
  add(sample: ClockSample): number {
    const rtt = Math.max(0, sample.receivedAt - sample.sentAt);
    const offset = sample.serverTime - (sample.sentAt + rtt / 2);
    this.#samples.push({ offset, rtt });
    if (this.#samples.length > this.#window) this.#samples.shift();
    return rtt;
  }

  /** A coarse first estimate (e.g. from `session:ready.serverTime`), used until pings arrive. */
  seed(serverTime: number, receivedAt: number): void {
    if (this.#samples.length === 0)
      this.#samples.push({ offset: serverTime - receivedAt, rtt: Number.POSITIVE_INFINITY });
  }

  /** Server clock minus client clock, in ms; 0 before any sample. */
  get offsetMs(): number {
    let best: { offset: number; rtt: number } | undefined;
    for (const sample of this.#samples) if (!best || sample.rtt < best.rtt) best = sample;
    return best ? Math.round(best.offset) : 0;
  }

  /** How long an event stamped `serverTs` took to arrive at client time `receivedAt`, never negative. */
  deliveryLatency(serverTs: number, receivedAt: number): number {
    return Math.max(0, Math.round(receivedAt + this.offsetMs - serverTs));
  }

  reset(): void {
    this.#samples.length = 0;
  }
}
