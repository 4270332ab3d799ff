import type { StreamEntry, StreamLog } from './streams.js';

/** A wider gap is not a race between nodes (an epoch jump, or entries lost): nothing to wait for. */
const MAX_WAITED_GAP = 100;
/** Entries held per stream at most; past that the stream stops waiting. */
const MAX_HELD = 1_000;

type Held = { room: string; entries: Map<number, StreamEntry>; timer: NodeJS.Timeout };

/**
 * With several nodes, two publishes on one stream at once can reach a node out of order: the
 * higher number first. Sent as they come, the higher one makes clients see a gap, and the lower
 * one arrives below their cursor, so they must resync. Instead, an entry that arrives ahead of a
 * missing number waits here, up to `windowMs`, for that number; the stream is then sent in order.
 * When the number never comes (lost, or burned by a node that fell back), the held entries go
 * after the window, and clients see the gap and resync as before.
 */
export class Reorderer {
  readonly #held = new Map<string, Held>();
  readonly #windowMs: number;
  readonly #log: StreamLog;
  readonly #release: (room: string, entry: StreamEntry) => void;

  constructor(windowMs: number, log: StreamLog, release: (room: string, entry: StreamEntry) => void) {
    this.#windowMs = windowMs;
    this.#log = log;
    this.#release = release;
  }

  accept(room: string, entry: StreamEntry): void {
    const { stream, seq } = entry.envelope;
    const recorded = this.#log.recorded(stream);
    const expected = recorded === undefined ? undefined : recorded + 1;
    if (expected === undefined || seq <= expected || seq - expected > MAX_WAITED_GAP) {
      this.#release(room, entry);
      this.#drain(stream);
      return;
    }
    let held = this.#held.get(stream);
    if (!held) {
      const timer = setTimeout(() => this.#releaseAll(stream), this.#windowMs);
      timer.unref();
      held = { room, entries: new Map(), timer };
      this.#held.set(stream, held);
    }
    held.entries.set(seq, entry);
    if (held.entries.size > MAX_HELD) this.#releaseAll(stream);
  }

  /** Sends every held entry now, in order (on close). */
  flushAll(): void {
    for (const stream of [...this.#held.keys()]) this.#releaseAll(stream);
  }

  /** Sends the held entries that now follow on. */
  #drain(stream: string): void {
    const held = this.#held.get(stream);
    if (!held) return;
    for (;;) {
      const next = (this.#log.recorded(stream) ?? 0) + 1;
      const entry = held.entries.get(next);
      if (!entry) break;
      held.entries.delete(next);
      this.#release(held.room, entry);
    }
    if (held.entries.size === 0) {
      clearTimeout(held.timer);
      this.#held.delete(stream);
    }
  }

  /** The window is over: send what is held, in order, gaps and all. */
  #releaseAll(stream: string): void {
    const held = this.#held.get(stream);
    if (!held) return;
    clearTimeout(held.timer);
    this.#held.delete(stream);
    for (const seq of [...held.entries.keys()].sort((a, b) => a - b)) {
      this.#release(held.room, held.entries.get(seq) as StreamEntry);
    }
  }
}
