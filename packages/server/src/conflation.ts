import type { KpiUpdate, ServerEventData, ServerEventName } from '@org/contracts';

const MAX_KPIS_PER_UPDATE = 100;

type Merge<TData> = (pending: TData, next: TData) => TData | undefined;

/** KPIs merged by key, latest value wins, first-seen order kept; undefined when the frame would be too big. */
const mergeKpiUpdates: Merge<KpiUpdate> = (pending, next) => {
  const byKey = new Map(pending.kpis.map((kpi) => [kpi.key, kpi]));
  for (const kpi of next.kpis) byKey.set(kpi.key, kpi);
  if (byKey.size > MAX_KPIS_PER_UPDATE) return undefined;
  return { ...next, kpis: [...byKey.values()] };
};

const mergers: { [E in ServerEventName]?: Merge<ServerEventData<E>> } = {
  'kpi:update': mergeKpiUpdates,
  'dashboard:update': (_pending, next) => next,
};

/** How a conflatable event's data folds into a pending frame; undefined: flush the pending frame first. */
export function mergeConflated<E extends ServerEventName>(
  event: E,
  pending: ServerEventData<E>,
  next: ServerEventData<E>,
): ServerEventData<E> | undefined {
  const merge = mergers[event] as Merge<ServerEventData<E>> | undefined;
  return merge ? merge(pending, next) : next;
}

/** A frame to send: its number is taken when it is sent, not before. */
export type Frame = {
  event: ServerEventName;
  room: string;
  stream: string;
  id: string;
  data: unknown;
  /** `performance.now()` of every publish folded in, for the latency histogram. */
  publishedAt: number[];
};

/** What sending a frame resolves to (the publish result). */
export type Sent = { id: string; stream: string; seq: number };

/** One frame waiting for its window to close. */
export type PendingFrame = Frame & {
  timer: NodeJS.Timeout;
  /** Settles once the frame is numbered and sent, for every publish folded into it. */
  sent: Promise<Sent>;
  settle: (sent: Promise<Sent>) => void;
};

/**
 * Holds at most one pending frame per stream. A publish on a quiet stream goes at once (see
 * `quiet`); a publish within a window of the last frame opens a pending frame and starts the
 * timer; later publishes merge into it; the timer sends it one window after the last frame. So a
 * stream sends at most one frame per window and the added delay is bounded by the window.
 *
 * A pending frame has no sequence number yet: it takes the next one when it is sent. A position
 * handed out meanwhile (by this node or another) therefore never counts it, and data merged into
 * it up to the last moment is never hidden behind a number a client already holds.
 */
export class Conflator {
  readonly #pending = new Map<string, PendingFrame>();
  /** When each stream last emitted a frame (performance.now()), kept for one window. */
  readonly #lastEmit = new Map<string, number>();
  readonly #windowMs: number;
  readonly #send: (frame: Frame) => Promise<Sent>;

  constructor(windowMs: number, send: (frame: Frame) => Promise<Sent>) {
    this.#windowMs = windowMs;
    this.#send = send;
  }

  pending(stream: string): PendingFrame | undefined {
    return this.#pending.get(stream);
  }

  /** Folds `data` into the stream's pending frame, if there is one it can merge into. */
  tryMerge<E extends ServerEventName>(stream: string, event: E, data: ServerEventData<E>, publishedAt: number) {
    const frame = this.#pending.get(stream);
    if (!frame || frame.event !== event) return undefined;
    const merged = mergeConflated(event, frame.data as ServerEventData<E>, data);
    if (merged === undefined) return undefined;
    frame.data = merged;
    frame.publishedAt.push(publishedAt);
    return frame;
  }

  /**
   * Whether a stream has nothing pending and emitted nothing in the last window: its next frame
   * may go at once (leading edge), so conflation delays frames only while the stream is busy.
   */
  quiet(stream: string, now: number = performance.now()): boolean {
    if (this.#pending.has(stream)) return false;
    const last = this.#lastEmit.get(stream);
    if (last === undefined) return true;
    if (now - last < this.#windowMs) return false;
    this.#lastEmit.delete(stream);
    return true;
  }

  /** Records that a frame of this stream was just emitted outside the conflator (leading edge). */
  emitted(stream: string, now: number = performance.now()): void {
    this.#lastEmit.set(stream, now);
  }

  /**
   * Starts a new pending frame (the stream has none). It is sent one window after the stream's
   * last frame (or after a full window when there was none).
   */
  open(frame: Frame): PendingFrame {
    const last = this.#lastEmit.get(frame.stream);
    const delay = last === undefined ? this.#windowMs : Math.max(0, last + this.#windowMs - performance.now());
    const timer = setTimeout(() => this.flush(frame.stream), delay);
    timer.unref?.();
    let settle: (sent: Promise<Sent>) => void = () => undefined;
    const sent = new Promise<Sent>((resolve) => {
      settle = resolve;
    });
    const pending: PendingFrame = { ...frame, timer, sent, settle };
    this.#pending.set(frame.stream, pending);
    return pending;
  }

  /** Sends the stream's pending frame now (before anything else is numbered on that stream). */
  flush(stream: string): void {
    const frame = this.#pending.get(stream);
    if (!frame) return;
    clearTimeout(frame.timer);
    this.#pending.delete(stream);
    this.#lastEmit.set(stream, performance.now());
    const { timer: _timer, sent: _sent, settle, ...toSend } = frame;
    settle(this.#send(toSend));
  }

  flushAll(): void {
    for (const stream of [...this.#pending.keys()]) this.flush(stream);
  }
}
