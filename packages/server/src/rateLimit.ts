import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Per-socket request budget: `eventsPerSecond` sustained, plus `burst` over a 10 s window. */
export class SocketRateLimiter {
  readonly #limiter: BurstyRateLimiter;
  readonly #sustained: RateLimiterMemory;
  readonly #burst: RateLimiterMemory;

  constructor(options: { eventsPerSecond: number; burst: number }) {
    this.#sustained = new RateLimiterMemory({ points: Math.max(1, options.eventsPerSecond), duration: 1 });
    this.#burst = new RateLimiterMemory({ points: Math.max(1, options.burst), duration: 10 });
    this.#limiter = new BurstyRateLimiter(this.#sustained, this.#burst);
  }

  /** Whether this socket may send one more request now. */
  async tryConsume(socketId: string): Promise<boolean> {
    try {
      await this.#limiter.consume(socketId);
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return false;
      throw rejection;
    }
  }

  /** Forgets a socket (on disconnect). */
  async forget(socketId: string): Promise<void> {
    await Promise.all([this.#sustained.delete(socketId), this.#burst.delete(socketId)]);
  }
}

/** Connection attempts per client IP per minute. */
export class ConnectionRateLimiter {
  readonly #limiter: RateLimiterMemory;

  constructor(perMinute: number) {
    this.#limiter = new RateLimiterMemory({ points: Math.max(1, perMinute), duration: 60 });
  }

  async tryConsume(ip: string): Promise<boolean> {
    try {
      await this.#limiter.consume(ip);
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return false;
      throw rejection;
    }
  }
}
