import type { Envelope, ServerEventName, StreamResync } from '@org/contracts';

/** How much of each stream the server keeps for replay after a reconnect. */
export type ReplayOptions = {
  /** Events kept per stream (oldest dropped first). Default 500. */
  bufferSize?: number;
  /** Events older than this are not replayed (the client resyncs instead). Default 5 minutes. */
  maxAgeMs?: number;
  /**
   * Where a new stream's numbering starts (its first event is this + 1). The default, microseconds
   * since the Unix epoch, makes every server start a new epoch whose numbers lie above any number
   * handed out before it: a client still holding a cursor from before a restart then sees a gap
   * and resyncs, instead of having new events mistaken for the ones it missed. Deterministic
   * tests may start at 0.
   */
  sequenceStart?: () => number;
};

const microsecondsNow = () => Date.now() * 1000;

export type StreamEntry = { event: ServerEventName; envelope: Envelope<unknown> };

/**
 * Events that carry a whole snapshot (who is online: one entry per user of the tenant), each
 * superseding the last. Only the latest is kept for replay: keeping 500 of them would hold
 * O(users) per snapshot, kilobytes per connection; a client that missed more than one resyncs.
 */
const SNAPSHOT_EVENTS: ReadonlySet<ServerEventName> = new Set<ServerEventName>(['presence:update']);

/**
 * `start`: where this node's numbering of the stream began; `seq`: highest number handed out or
 * seen here; `recorded`: last number emitted here (lower while a frame is pending or in flight);
 * `diverged`: numbered here while the shared counter was unreachable (see `nextDiverged`).
 */
type StreamState = {
  start: number;
  seq: number;
  recorded: number;
  entries: StreamEntry[];
  head: number;
  expiredUpTo: number;
  diverged: boolean;
  /** Highest number another node announced that this node found missing (its clients were told to resync). */
  resyncedUpTo: number;
};

export type ResumePlan =
  | { kind: 'replay'; entries: StreamEntry[] }
  | { kind: 'resync'; reason: StreamResync['reason'] };

/**
 * Per-stream sequence numbers and a bounded replay buffer (a ring per stream). A stream's numbering
 * starts at `sequenceStart()` when it is first published to or asked for; its first event is that + 1.
 * With several nodes the numbers come from a shared counter (`adopt`), and this log keeps what
 * this node has seen of them.
 */
export class StreamLog {
  readonly #streams = new Map<string, StreamState>();
  readonly #bufferSize: number;
  readonly #maxAgeMs: number;
  readonly sequenceStart: () => number;

  constructor(options: ReplayOptions = {}) {
    this.#bufferSize = Math.max(0, options.bufferSize ?? 500);
    this.#maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.sequenceStart = options.sequenceStart ?? microsecondsNow;
  }

  /**
   * The last sequence number emitted on a stream (0 when none). A conflated frame still pending is
   * not counted: a client positioned here receives it when it is emitted, never skips it.
   */
  position(stream: string): number {
    // Asking fixes where the stream's numbering starts, so that a client positioned here takes the
    // first event (start + 1) as the next one, not as a gap.
    return this.#state(stream).recorded;
  }

  /** The last number emitted here on a stream, without starting its numbering (undefined: never). */
  recorded(stream: string): number | undefined {
    return this.#streams.get(stream)?.recorded;
  }

  /** The highest number this node has handed out or seen on a stream (0 when none). */
  highest(stream: string): number {
    return this.#streams.get(stream)?.seq ?? 0;
  }

  #state(stream: string, start: () => number = this.sequenceStart): StreamState {
    let state = this.#streams.get(stream);
    if (!state) {
      const first = start();
      state = {
        start: first,
        seq: first,
        recorded: first,
        entries: [],
        head: 0,
        expiredUpTo: first,
        diverged: false,
        resyncedUpTo: first,
      };
      this.#streams.set(stream, state);
    }
    return state;
  }

  /** Reserves the next sequence number of a stream (one node: this log is the counter). */
  next(stream: string): number {
    const state = this.#state(stream);
    state.seq += 1;
    return state.seq;
  }

  /**
   * Takes a number the shared counter handed out (a reservation, or a position: `asPosition`).
   * A stream new to this node starts just below it, so its first event is not taken for a gap.
   */
  adopt(stream: string, seq: number, asPosition = false): void {
    const state = this.#state(stream, () => (asPosition ? seq : seq - 1));
    state.seq = Math.max(state.seq, seq);
  }

  /**
   * Numbers a stream while the shared counter cannot be reached. The first such number starts a new
   * epoch at `epochStart` (a time, so above what any node handed out before): this node's clients
   * see a gap and resync, and numbers handed out meanwhile by another node (from the counter, or
   * from its own epoch) cannot be mistaken for these.
   */
  nextDiverged(stream: string, epochStart: number): number {
    const state = this.#state(stream, () => epochStart);
    if (!state.diverged) {
      state.diverged = true;
      state.seq = Math.max(state.seq, epochStart);
    }
    state.seq += 1;
    return state.seq;
  }

  /** Marks a stream as numbered here during an outage again (a call that cleared the mark failed). */
  markDiverged(stream: string): void {
    const state = this.#streams.get(stream);
    if (state) state.diverged = true;
  }

  /** Every stream this node knows. */
  streams(): IterableIterator<string> {
    return this.#streams.keys();
  }

  /** Whether the stream was numbered here while the counter was unreachable; clears the mark. */
  takeDiverged(stream: string): boolean {
    const state = this.#streams.get(stream);
    if (!state?.diverged) return false;
    state.diverged = false;
    return true;
  }

  /**
   * Keeps an entry about to be emitted here (this node's own, or one another node emitted) for
   * replay. Returns false, keeping nothing, when a number at or above it was already emitted here:
   * the clients here are past it and would drop it, so they must resync instead.
   */
  record(entry: StreamEntry): boolean {
    const { seq } = entry.envelope;
    // A stream first seen here through another node continues that node's numbering.
    const state = this.#state(entry.envelope.stream, () => seq - 1);
    if (seq <= state.recorded) return false;
    state.recorded = seq;
    state.seq = Math.max(state.seq, seq);
    const capacity = SNAPSHOT_EVENTS.has(entry.event) ? Math.min(1, this.#bufferSize) : this.#bufferSize;
    if (capacity === 0) return true;
    if (state.entries.length < capacity) {
      state.entries.push(entry);
    } else {
      state.entries[state.head] = entry;
      state.head = (state.head + 1) % capacity;
    }
    return true;
  }

  /**
   * Whether this node missed an entry another node says it emitted (`seq`, `id`) on a stream whose
   * clients this node serves: it never recorded that number, or recorded another entry under it (two
   * nodes numbering on their own during an outage). When it did, the stream moves past `seq` here,
   * and the caller tells its clients to resync.
   */
  missed(stream: string, seq: number, id: string): boolean {
    const state = this.#streams.get(stream);
    if (!state || seq <= state.resyncedUpTo) return false;
    let missing = seq > state.recorded;
    if (!missing) {
      const ordered = this.#ordered(state);
      const oldest = ordered[0];
      // Only what the buffer still covers can be checked; older numbers were delivered or resynced.
      if (oldest && oldest.envelope.seq <= seq) {
        missing = ordered.find((entry) => entry.envelope.seq === seq)?.envelope.id !== id;
      }
    }
    if (!missing) return false;
    state.resyncedUpTo = seq;
    state.recorded = Math.max(state.recorded, seq);
    state.seq = Math.max(state.seq, seq);
    return true;
  }

  /** How often `prune` should run: often enough that aged entries do not pile up. */
  get pruneIntervalMs(): number {
    return Math.max(1_000, Math.min(this.#maxAgeMs, 60_000));
  }

  /** Frees entries older than `maxAgeMs` (they can no longer be replayed); sequence numbers stay. */
  prune(now: number = Date.now()): void {
    for (const state of this.#streams.values()) {
      const oldest = state.entries[state.head];
      if (!oldest || now - oldest.envelope.ts <= this.#maxAgeMs) continue;
      const ordered = this.#ordered(state);
      const kept = ordered.filter((entry) => now - entry.envelope.ts <= this.#maxAgeMs);
      state.expiredUpTo = Math.max(state.expiredUpTo, ordered[ordered.length - kept.length - 1]?.envelope.seq ?? 0);
      state.entries = kept;
      state.head = 0;
    }
  }

  /** Buffered entries of a stream, oldest first. */
  #ordered(state: StreamState): StreamEntry[] {
    return state.head === 0
      ? state.entries
      : [...state.entries.slice(state.head), ...state.entries.slice(0, state.head)];
  }

  /** What a client that last saw `cursor` on `stream` needs: the events after it, or a resync. */
  plan(stream: string, cursor: number, now: number = Date.now()): ResumePlan {
    const state = this.#streams.get(stream);
    if (!state) return cursor === 0 ? { kind: 'replay', entries: [] } : { kind: 'resync', reason: 'unknown_stream' };
    // Ahead of us, or from before our numbering began (a cursor from before a restart): the
    // client's view belongs to another epoch of the stream.
    if (cursor > state.seq || cursor < state.start) return { kind: 'resync', reason: 'unknown_stream' };
    const missed = this.#ordered(state).filter((entry) => entry.envelope.seq > cursor);
    const first = missed[0];
    // Entries recorded here may skip numbers (an event another node emitted that never arrived).
    for (let index = 1; index < missed.length; index += 1) {
      if ((missed[index] as StreamEntry).envelope.seq !== (missed[index - 1] as StreamEntry).envelope.seq + 1) {
        return { kind: 'resync', reason: 'gap' };
      }
    }
    if (!first) {
      // Nothing recorded after the cursor: up to date, or the next frame is still pending
      // (conflation) and will arrive live. Otherwise the buffer no longer holds what was missed.
      if (cursor >= state.recorded) return { kind: 'replay', entries: [] };
      return { kind: 'resync', reason: cursor < state.expiredUpTo ? 'expired' : 'gap' };
    }
    if (first.envelope.seq !== cursor + 1) {
      return { kind: 'resync', reason: cursor < state.expiredUpTo ? 'expired' : 'gap' };
    }
    if (now - first.envelope.ts > this.#maxAgeMs) return { kind: 'resync', reason: 'expired' };
    return { kind: 'replay', entries: missed };
  }
}
