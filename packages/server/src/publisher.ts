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
import { Conflator, type Frame } from './conflation.js';
import { RealtimeError } from './errors.js';
import type { RealtimeMetrics } from './metrics.js';
import { Reorderer } from './reorder.js';
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

export type PublisherOptions = {
  sequencer: Sequencer;
  metrics: RealtimeMetrics;
  /** Conflation window of conflatable events; undefined: off. */
  conflationWindowMs?: number | undefined;
  /** How long an entry ahead of a missing number waits for it (several nodes); undefined: not at all. */
  reorderWindowMs?: number | undefined;
  /** Called with every entry this node emits (to share it with the other nodes). */
  onEmitted?: ((entry: StreamEntry) => void) | undefined;
};

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
  readonly #reorderer: Reorderer | undefined;
  /** Frames whose number is still being reserved; they are sent in publish order. */
  #reserving = 0;
  #order: Promise<unknown> = Promise.resolve();

  constructor(io: RealtimeIo, log: StreamLog, options: PublisherOptions) {
    this.#io = io;
    this.#log = log;
    this.#sequencer = options.sequencer;
    this.#metrics = options.metrics;
    this.#onEmitted = options.onEmitted;
    this.#conflator =
      options.conflationWindowMs === undefined
        ? undefined
        : new Conflator(options.conflationWindowMs, (frame) => this.#send(frame));
    this.#reorderer =
      options.reorderWindowMs === undefined
        ? undefined
        : new Reorderer(options.reorderWindowMs, log, (room, entry) => this.#emitNow(room, entry));
  }

  /**
   * Resolves once the event is numbered and sent: on one node, before `publish` returns (or when
   * its conflated frame goes, within the window); with several, once the shared counter answers.
   * Rejects with a `RealtimeError` (`INVALID_PAYLOAD`, `UNKNOWN_EVENT`) when the event does not
   * match the catalog.
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
    const frame: Frame = { event, room, stream, id: randomUUID(), data: payload, publishedAt: [publishedAt] };
    const conflator = this.#conflator;
    if (conflator && conflatable) {
      const merged = conflator.tryMerge(stream, event, payload, publishedAt);
      if (merged) return merged.sent;
      // A pending frame this one cannot join (too big) goes first, so numbers follow publish order.
      conflator.flush(stream);
      // Leading edge: a quiet stream is not delayed; only publishes within the window are held.
      if (!conflator.quiet(stream)) return conflator.open(frame).sent;
      conflator.emitted(stream);
    }
    return this.#send(frame);
  }

  /** Numbers a frame (now on one node; in publish order once the shared counter answers) and emits it. */
  #send(frame: Frame): Promise<Published> {
    const seq = this.#sequencer.next(frame.stream);
    const result = (reserved: number) => ({ id: frame.id, stream: frame.stream, seq: reserved });
    if (typeof seq === 'number' && this.#reserving === 0) {
      this.#emitFrame(frame, seq);
      return Promise.resolve(result(seq));
    }
    this.#reserving += 1;
    const sent = this.#order
      .then(() => seq)
      .then((reserved) => {
        this.#emitFrame(frame, reserved);
        return result(reserved);
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

  /** Where a stream stands: what a client positioned now has seen up to (pending frames have no number yet). */
  async streamPosition(stream: string): Promise<number> {
    return this.#sequencer.position(stream);
  }

  async position(channel: Channel, target: Target): Promise<{ stream: string; seq: number }> {
    const stream = streamName(channel, roomForTarget(target));
    return { stream, seq: await this.streamPosition(stream) };
  }

  /** Emits an entry another node emitted to this node's clients of its room. */
  deliverShared(entry: StreamEntry): void {
    const { stream } = entry.envelope;
    const at = stream.indexOf('@');
    if (at <= 0 || !Object.hasOwn(serverEvents, entry.event)) return;
    this.#deliver(stream.slice(at + 1), entry);
  }

  /** Tells every client of this node to refetch every stream it follows (after the link to the other nodes was cut). */
  resyncFollowed(): void {
    const rooms = this.#io.of('/').adapter.rooms;
    for (const stream of this.#log.streams()) {
      const room = stream.slice(stream.indexOf('@') + 1);
      if ((rooms.get(room)?.size ?? 0) > 0) this.resyncStream(stream);
    }
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
    if (this.#reorderer) this.#reorderer.accept(room, entry);
    else this.#emitNow(room, entry);
  }

  #emitNow(room: string, entry: StreamEntry): void {
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
    this.#reorderer?.flushAll();
  }

  #emitFrame(frame: Frame, seq: number): void {
    const envelope: Envelope<unknown> = {
      id: frame.id,
      stream: frame.stream,
      seq,
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
