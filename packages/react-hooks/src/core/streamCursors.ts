/** What to do with an incoming event, judged by its stream's cursor. */
export type CursorVerdict =
  /** The next event in order (or the first seen on this stream): apply it. */
  | { kind: 'apply' }
  /** Already applied (same id, or seq at or below the cursor): ignore it. */
  | { kind: 'duplicate' }
  /** Events between the cursor and this one are missing: apply it, and refetch what it belongs to. */
  | { kind: 'gap'; expected: number; received: number };

/**
 * The last sequence number applied per stream, plus a bounded memory of event ids, so that a
 * replayed event is never applied twice and a jump in sequence is noticed.
 */
export class StreamCursors {
  readonly #cursors = new Map<string, number>();
  readonly #seenIds = new Set<string>();
  readonly #maxIds: number;

  constructor(maxIds = 2_000) {
    this.#maxIds = maxIds;
  }

  /** Judges an event and, unless it is a duplicate, moves the cursor to it. */
  accept(stream: string, seq: number, id: string): CursorVerdict {
    if (this.#seenIds.has(id)) return { kind: 'duplicate' };
    const last = this.#cursors.get(stream);
    if (last !== undefined && seq <= last) return { kind: 'duplicate' };
    this.#remember(id);
    this.#cursors.set(stream, seq);
    if (last !== undefined && seq > last + 1) return { kind: 'gap', expected: last + 1, received: seq };
    return { kind: 'apply' };
  }

  /**
   * Aligns a stream with a position the server reported (a subscribe ack). Returns `'gap'` when
   * the server is ahead of what this client applied, `'reset'` when it is behind (the server lost
   * its sequence, e.g. after a restart), so the caller refetches; `'ok'` otherwise.
   */
  align(stream: string, seq: number): 'ok' | 'gap' | 'reset' {
    const last = this.#cursors.get(stream);
    if (seq === 0) {
      // Nothing published on the stream yet: its first event, whatever its number, starts the cursor.
      this.#cursors.delete(stream);
      return last === undefined || last === 0 ? 'ok' : 'reset';
    }
    this.#cursors.set(stream, seq);
    if (last === undefined || last === seq) return 'ok';
    return seq > last ? 'gap' : 'reset';
  }

  get(stream: string): number | undefined {
    return this.#cursors.get(stream);
  }

  delete(stream: string): void {
    this.#cursors.delete(stream);
  }

  /** Cursors to send with `stream:resume`, at most `limit` of them (the contract caps it at 64). */
  snapshot(limit = 64): Record<string, number> {
    return Object.fromEntries([...this.#cursors].slice(0, limit));
  }

  get size(): number {
    return this.#cursors.size;
  }

  clear(): void {
    this.#cursors.clear();
    this.#seenIds.clear();
  }

  #remember(id: string): void {
    this.#seenIds.add(id);
    if (this.#seenIds.size > this.#maxIds) {
      const oldest = this.#seenIds.values().next().value;
      if (oldest !== undefined) this.#seenIds.delete(oldest);
    }
  }
}
