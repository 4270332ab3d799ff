import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  type Audience,
  allowsTarget,
  type Channel,
  type Envelope,
  type PublishableEventName,
  roomForTarget,
  type ServerEventData,
  type ServerEventName,
  serverEvents,
  streamName,
  Target,
  type TargetFor,
  toErrorIssues,
} from '@org/contracts';
import type { Sequencer } from './cluster.js';
import { Conflator, type PendingFrame } from './conflation.js';
import { RealtimeError } from './errors.js';
import type { RealtimeMetrics } from './metrics.js';
import type { StreamEntry, StreamLog } from './streams.js';
import type { RealtimeIo, RealtimeSocket } from './types.js';

/** Per-socket events (session channel) are not part of a resumable stream: stream `session`, seq 0. */
export const SESSION_STREAM = 'session';

export type Published = { id: string; stream: string; seq: number };

/**
 * Data must agree with where it goes: its tenant (only `system` crosses tenants), module, role, and
 * a notification's audience.
 */
function checkScope(event: ServerEventName, target: Target, data: unknown): void {
  const record = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  if (!('tenantId' in record)) return;
  const targetTenant = target.kind === 'system' ? null : target.tenantId;
  if (record.tenantId !== targetTenant) {
    throw new RealtimeError(
      'INVALID_PAYLOAD',
      `${event}: data.tenantId ${JSON.stringify(record.tenantId)} does not match the ${target.kind} target`,
      { reason: 'tenant_mismatch' },
    );
  }
  if (target.kind === 'module' && 'module' in record && record.module !== target.module) {
    throw new RealtimeError('INVALID_PAYLOAD', `${event}: data.module does not match the target module`, {
      reason: 'module_mismatch',
    });
  }
  if (target.kind === 'dashboard' && 'role' in record && record.role !== target.role) {
    throw new RealtimeError('INVALID_PAYLOAD', `${event}: data.role does not match the target role`, {
      reason: 'role_mismatch',
    });
  }
  // A notification for one user (or role) must not be broadcast wider than its audience says.
  if (event === 'notification:new') {
    const audience = record.audience as Audience;
    const matches =
      audience.kind === target.kind &&
      (audience.kind !== 'user' || (target.kind === 'user' && audience.userId === target.userId)) &&
      (audience.kind !== 'role' || (target.kind === 'role' && audience.role === target.role));
    if (!matches) {
      throw new RealtimeError('INVALID_PAYLOAD', `${event}: data.audience does not match the ${target.kind} target`, {
        reason: 'audience_mismatch',
      });
    }
  }
}

const settle = () => undefined;

/**
 * The outbound path: validate once, number per stream, (maybe) conflate, record for replay, then
 * one `io.local.to(room).emit` per frame, which Socket.IO encodes once for all recipients here.
 * Other nodes get the entry through `onEmitted` and emit it to their own clients (`deliverShared`),
 * so this node's clients never wait on the link between nodes.
 */
export class Publisher {
  readonly #io: RealtimeIo;
  readonly #log: StreamLog;
  readonly #sequencer: Sequencer;
  readonly #metrics: RealtimeMetrics;
  readonly #conflator: Conflator | undefined;
  readonly #onEmitted: ((entry: StreamEntry) => void) | undefined;
  /** Frames whose number is still being reserved; they are sent in publish order. */
  #reserving = 0;
  #order: Promise<unknown> = Promise.resolve();

  constructor(
    io: RealtimeIo,
    log: StreamLog,
    sequencer: Sequencer,
    metrics: RealtimeMetrics,
    conflationWindowMs: number | undefined,
    /** Called with every entry this node emits (to share it with the other nodes). */
    onEmitted?: (entry: StreamEntry) => void,
  ) {
    this.#onEmitted = onEmitted;
    this.#io = io;
    this.#log = log;
    this.#sequencer = sequencer;
    this.#metrics = metrics;
    this.#conflator =
      conflationWindowMs === undefined
        ? undefined
        : new Conflator(conflationWindowMs, (frame) => this.#emitFrame(frame));
  }

  /**
   * Resolves once the event is numbered and sent (or held for conflation). On one node that is
   * before `publish` returns; with several, after the shared counter answers. Rejects with a
   * `RealtimeError` (`INVALID_PAYLOAD`, `UNKNOWN_EVENT`) when the event does not match the catalog.
   */
  publish<E extends PublishableEventName>(
    event: E,
    target: TargetFor<E>,
    data: ServerEventData<E>,
  ): Promise<Published> {
    const publishedAt = performance.now();
    let checked: { payload: ServerEventData<E>; room: string; stream: string; conflatable: boolean };
    try {
      checked = this.#check(event, target, data);
    } catch (error) {
      return Promise.reject(error);
    }
    const { payload, room, stream, conflatable } = checked;
    if (this.#conflator && conflatable) {
      const merged = this.#conflator.tryMerge(stream, event, payload, publishedAt);
      if (merged) return Promise.resolve({ id: merged.id, stream, seq: merged.seq });
    }
    const id = randomUUID();
    const frame = (seq: number) => ({ event, room, stream, id, seq, data: payload, publishedAt: [publishedAt] });
    const seq = this.#sequencer.next(stream);
    if (typeof seq === 'number' && this.#reserving === 0) {
      this.#send(frame(seq), conflatable);
      return Promise.resolve({ id, stream, seq });
    }
    this.#reserving += 1;
    const sent = this.#order
      .then(() => seq)
      .then((reserved) => {
        this.#send(frame(reserved), conflatable);
        return { id, stream, seq: reserved };
      })
      .finally(() => {
        this.#reserving -= 1;
      });
    this.#order = sent.catch(settle);
    return sent;
  }

  #check<E extends PublishableEventName>(event: E, target: TargetFor<E>, data: ServerEventData<E>) {
    const definition = serverEvents[event];
    if (!definition) throw new RealtimeError('UNKNOWN_EVENT', `Unknown event ${String(event)}`);
    const parsedTarget = Target.safeParse(target);
    if (!parsedTarget.success || !allowsTarget(event, parsedTarget.data)) {
      throw new RealtimeError('INVALID_PAYLOAD', `${event} cannot be published to this target`, {
        reason: 'invalid_target',
        ...(parsedTarget.success ? {} : { issues: toErrorIssues(parsedTarget.error) }),
      });
    }
    const parsed = definition.data.safeParse(data);
    if (!parsed.success) {
      throw new RealtimeError('INVALID_PAYLOAD', `${event}: data does not match the catalog`, {
        issues: toErrorIssues(parsed.error),
      });
    }
    const payload = parsed.data as ServerEventData<E>;
    checkScope(event, parsedTarget.data, payload);
    const room = roomForTarget(parsedTarget.data);
    return {
      payload,
      room,
      stream: streamName(definition.channel, room),
      conflatable: 'conflatable' in definition && definition.conflatable === true,
    };
  }

  #send(frame: Omit<PendingFrame, 'timer'>, conflatable: boolean): void {
    const { stream } = frame;
    // Whatever is pending on this stream goes first, so sequence order is emit order.
    this.#conflator?.flush(stream);
    if (this.#conflator && conflatable && !this.#conflator.quiet(stream)) {
      this.#conflator.open(frame);
    } else {
      // Leading edge: a quiet stream is not delayed; only publishes within the window are held.
      if (this.#conflator && conflatable) this.#conflator.emitted(stream);
      this.#emitFrame(frame);
    }
  }

  /** Where a stream stands: what a client positioned now has seen up to (a pending frame excluded). */
  async streamPosition(stream: string): Promise<number> {
    const position = await this.#sequencer.position(stream);
    const pending = this.#conflator?.pending(stream);
    return pending ? Math.min(position, pending.seq - 1) : position;
  }

  async position(channel: Channel, target: Target): Promise<{ stream: string; seq: number }> {
    const stream = streamName(channel, roomForTarget(target));
    return { stream, seq: await this.streamPosition(stream) };
  }

  /** Emits an entry another node emitted to this node's clients of its room. */
  deliverShared(entry: StreamEntry): void {
    const { stream } = entry.envelope;
    const at = stream.indexOf('@');
    if (at <= 0 || !(entry.event in serverEvents)) return;
    this.#deliver(stream.slice(at + 1), entry);
  }

  /** Tells this node's clients of a stream to refetch it (they may have missed an entry). */
  resyncStream(stream: string): void {
    const room = stream.slice(stream.indexOf('@') + 1);
    const envelope: Envelope<ServerEventData<'stream:resync'>> = {
      id: randomUUID(),
      stream: SESSION_STREAM,
      seq: 0,
      ts: Date.now(),
      data: { stream, reason: 'gap' },
    };
    (this.#io.local.to(room).emit as (event: string, envelope: unknown) => boolean)('stream:resync', envelope);
    this.#metrics.eventOut('stream:resync', this.#io.of('/').adapter.rooms.get(room)?.size ?? 0);
  }

  /**
   * Records and emits an entry to this node's clients; one numbered at or below what they already
   * got (another node's entry overtook it) would be dropped by them, so they resync instead.
   */
  #deliver(room: string, entry: StreamEntry): void {
    if (!this.#log.record(entry)) {
      this.resyncStream(entry.envelope.stream);
      return;
    }
    (this.#io.local.to(room).emit as (event: string, envelope: unknown) => boolean)(entry.event, entry.envelope);
    this.#metrics.eventOut(entry.event, this.#io.of('/').adapter.rooms.get(room)?.size ?? 0);
  }

  /** Sends a session-channel event to one socket (not sequenced, not replayed). */
  emitToSocket<E extends 'session:ready' | 'session:ended' | 'stream:resync'>(
    socket: RealtimeSocket,
    event: E,
    data: ServerEventData<E>,
  ): void {
    const envelope: Envelope<ServerEventData<E>> = {
      id: randomUUID(),
      stream: SESSION_STREAM,
      seq: 0,
      ts: Date.now(),
      data,
    };
    (socket.emit as (event: string, envelope: unknown) => boolean)(event, envelope);
    this.#metrics.eventOut(event);
  }

  /** Re-sends recorded envelopes to one socket, marked `replay: true`, in sequence order. */
  replayToSocket(
    socket: RealtimeSocket,
    entries: readonly { event: ServerEventName; envelope: Envelope<unknown> }[],
  ): void {
    for (const { event, envelope } of entries) {
      (socket.emit as (event: string, envelope: unknown) => boolean)(event, { ...envelope, replay: true });
      this.#metrics.eventOut(event);
    }
  }

  flushAll(): void {
    this.#conflator?.flushAll();
  }

  #emitFrame(frame: Omit<PendingFrame, 'timer'>): void {
    const envelope: Envelope<unknown> = {
      id: frame.id,
      stream: frame.stream,
      seq: frame.seq,
      ts: Date.now(),
      data: frame.data,
    };
    const entry: StreamEntry = { event: frame.event, envelope };
    this.#onEmitted?.(entry);
    this.#deliver(frame.room, entry);
    const emittedAt = performance.now();
    for (const at of frame.publishedAt) this.#metrics.publishLatency((emittedAt - at) / 1000);
  }
}
