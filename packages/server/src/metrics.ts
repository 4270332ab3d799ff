import type { ErrorCode, RealtimeStats } from '@org/contracts';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Counters behind `stats()` and the Prometheus metrics: connected sockets, events by name and
 * direction, rejections by code, publish-to-emit latency.
 */
export class RealtimeMetrics {
  readonly registry: Registry;
  readonly #connected: Gauge;
  readonly #events: Counter<'event' | 'direction'>;
  readonly #rejections: Counter<'code'>;
  readonly #latency: Histogram;
  readonly #names: string[];
  #eventsIn = 0;
  #eventsOut = 0;
  readonly #rejectionsByCode: Partial<Record<ErrorCode, number>> = {};

  constructor(options: { registry?: Registry; prefix?: string } = {}) {
    this.registry = options.registry ?? new Registry();
    const prefix = options.prefix ?? 'realtime_';
    const registers = [this.registry];
    this.#names = ['connected_sockets', 'events_total', 'rejections_total', 'publish_emit_latency_seconds'].map(
      (name) => `${prefix}${name}`,
    );
    this.#connected = new Gauge({
      name: `${prefix}connected_sockets`,
      help: 'Sockets connected to this node.',
      registers,
    });
    this.#events = new Counter({
      name: `${prefix}events_total`,
      help: 'Events by name and direction (in: client requests; out: frames sent, counted per recipient socket).',
      labelNames: ['event', 'direction'],
      registers,
    });
    this.#rejections = new Counter({
      name: `${prefix}rejections_total`,
      help: 'Refused connections and requests, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.#latency = new Histogram({
      name: `${prefix}publish_emit_latency_seconds`,
      help: 'Time from publish() to the emit of the frame carrying it (includes conflation delay).',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  connected(count: number): void {
    this.#connected.set(count);
  }

  eventIn(event: string): void {
    this.#eventsIn += 1;
    this.#events.inc({ event, direction: 'in' });
  }

  eventOut(event: string, recipients = 1): void {
    if (recipients <= 0) return;
    this.#eventsOut += recipients;
    this.#events.inc({ event, direction: 'out' }, recipients);
  }

  rejection(code: ErrorCode): void {
    this.#rejectionsByCode[code] = (this.#rejectionsByCode[code] ?? 0) + 1;
    this.#rejections.inc({ code });
  }

  publishLatency(seconds: number): void {
    this.#latency.observe(seconds);
  }

  counters(): Pick<RealtimeStats, 'eventsIn' | 'eventsOut' | 'rejections'> {
    return { eventsIn: this.#eventsIn, eventsOut: this.#eventsOut, rejections: { ...this.#rejectionsByCode } };
  }

  /** Removes this server's metrics from the registry (on close). */
  dispose(): void {
    for (const name of this.#names) this.registry.removeSingleMetric(name);
  }
}
