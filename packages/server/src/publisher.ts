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

/**
 * The outbound path: validate once, number per stream, (maybe) conflate, record for replay, then
 * one `io.to(room).emit` per frame, which Socket.IO encodes once for all recipients.
 */
export class Publisher {
  readonly #io: RealtimeIo;
  readonly #log: StreamLog;
  readonly #metrics: RealtimeMetrics;
  readonly #conflator: Conflator | undefined;

  readonly #onEmitted: ((entry: StreamEntry) => void) | undefined;

  constructor(
    io: RealtimeIo,
    log: StreamLog,
    metrics: RealtimeMetrics,
    conflationWindowMs: number | undefined,
    /** Called with every emitted entry (to share it with the other nodes). */
    onEmitted?: (entry: StreamEntry) => void,
  ) {
    this.#onEmitted = onEmitted;
    this.#io = io;
    this.#log = log;
    this.#metrics = metrics;
    this.#conflator =
      conflationWindowMs === undefined
        ? undefined
        : new Conflator(conflationWindowMs, (frame) => this.#emitFrame(frame));
  }

  publish<E extends PublishableEventName>(event: E, target: TargetFor<E>, data: ServerEventData<E>): Published {
    const publishedAt = performance.now();
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
    const stream = streamName(definition.channel, room);
    const conflatable = 'conflatable' in definition && definition.conflatable === true;
    if (this.#conflator && conflatable) {
      const merged = this.#conflator.tryMerge(stream, event, payload, publishedAt);
      if (merged) return { id: merged.id, stream, seq: merged.seq };
    }
    // Whatever is pending on this stream goes first, so sequence order is emit order.
    this.#conflator?.flush(stream);
    const frame = {
      event,
      room,
      stream,
      id: randomUUID(),
      seq: this.#log.next(stream),
      data: payload,
      publishedAt: [publishedAt],
    };
    if (this.#conflator && conflatable && !this.#conflator.quiet(stream)) {
      this.#conflator.open(frame);
    } else {
      // Leading edge: a quiet stream is not delayed; only publishes within the window are held.
      if (this.#conflator && conflatable) this.#conflator.emitted(stream);
      this.#emitFrame(frame);
    }
    return { id: frame.id, stream, seq: frame.seq };
  }

  position(channel: Channel, target: Target): { stream: string; seq: number } {
    const stream = streamName(channel, roomForTarget(target));
    return { stream, seq: this.#log.position(stream) };
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
    this.#log.record(entry);
    this.#onEmitted?.(entry);
    (this.#io.to(frame.room).emit as (event: string, envelope: unknown) => boolean)(frame.event, envelope);
    const emittedAt = performance.now();
    for (const at of frame.publishedAt) this.#metrics.publishLatency((emittedAt - at) / 1000);
    this.#metrics.eventOut(frame.event, this.#io.of('/').adapter.rooms.get(frame.room)?.size ?? 0);
  }
}
