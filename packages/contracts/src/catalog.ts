import { z } from 'zod';
import { EntityId, Module, Role, TenantId, UserId } from './domain.js';
import { type Envelope, envelopeSchema } from './envelope.js';
import { type AckResponse, ackSchema } from './errors.js';
import {
  AlertAcknowledged,
  DashboardSummary,
  KpiUpdate,
  Notification,
  NotificationsRead,
  PresenceUpdate,
  SessionReady,
  StreamResync,
  SystemAlert,
} from './payloads.js';
import { StreamCursors } from './protocol.js';
import { type RoomName, rooms } from './rooms.js';

/** A channel is one kind of ordered stream; in a given room it is one stream with its own sequence. */
export const Channel = z.enum(['session', 'kpi', 'dashboard', 'notifications', 'alerts', 'presence']);
export type Channel = z.infer<typeof Channel>;

/** Where a published event goes. Every target but `system` names its tenant. */
export const Target = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), tenantId: TenantId, userId: UserId }),
  z.object({ kind: z.literal('role'), tenantId: TenantId, role: Role }),
  z.object({ kind: z.literal('tenant'), tenantId: TenantId }),
  z.object({ kind: z.literal('module'), tenantId: TenantId, module: Module }),
  z.object({ kind: z.literal('dashboard'), tenantId: TenantId, role: Role }),
  z.object({ kind: z.literal('system') }),
]);
export type Target = z.infer<typeof Target>;
export type TargetKind = Target['kind'];

type ServerEventDefinition = {
  channel: Channel;
  data: z.ZodType;
  description: string;
  /** Target kinds the server may publish this event to; empty for events sent to one socket. */
  targets: readonly TargetKind[];
  /** Latest value wins: the server may coalesce bursts within a short window. */
  conflatable?: boolean;
};

type ClientEventDefinition = {
  request: z.ZodType;
  response: z.ZodType;
  description: string;
};

const serverEvent = <const T extends ServerEventDefinition>(definition: T) => definition;
const clientEvent = <const T extends ClientEventDefinition>(definition: T) => definition;

/** Server-to-client events: every one is sent inside an envelope (see `envelopeSchema`). */
export const serverEvents = {
  'session:ready': serverEvent({
    channel: 'session',
    data: SessionReady,
    description: 'Sent once a connection is authenticated: who the user is and what it may see.',
    targets: [],
  }),
  'session:ended': serverEvent({
    channel: 'session',
    data: z.object({ code: z.enum(['TOKEN_EXPIRED', 'UNAUTHORIZED', 'RATE_LIMITED']), message: z.string() }),
    description: 'Sent just before the server closes a session; reconnect with a fresh token.',
    targets: [],
  }),
  'stream:resync': serverEvent({
    channel: 'session',
    data: StreamResync,
    description: 'The server cannot replay a stream; refetch its snapshot over REST.',
    targets: [],
  }),
  'kpi:update': serverEvent({
    channel: 'kpi',
    data: KpiUpdate,
    description: 'New values for KPIs of one module in one tenant.',
    targets: ['module'],
    conflatable: true,
  }),
  'dashboard:update': serverEvent({
    channel: 'dashboard',
    data: DashboardSummary,
    description: "A role's summary cards and top KPIs (only the modules that role may see).",
    targets: ['dashboard'],
    conflatable: true,
  }),
  'notification:new': serverEvent({
    channel: 'notifications',
    data: Notification,
    description: 'A notification for a user, a role in a tenant, or a whole tenant.',
    targets: ['user', 'role', 'tenant'],
  }),
  'notification:read': serverEvent({
    channel: 'notifications',
    data: NotificationsRead,
    description: "Some or all of the user's notifications were marked read, on this or another device.",
    targets: ['user'],
  }),
  'alert:new': serverEvent({
    channel: 'alerts',
    data: SystemAlert,
    description: 'A system alert for a tenant, or for everyone when tenantId is null.',
    targets: ['tenant', 'role', 'module', 'system'],
  }),
  'alert:acknowledged': serverEvent({
    channel: 'alerts',
    data: AlertAcknowledged,
    description: 'Someone acknowledged an alert.',
    targets: ['tenant', 'system'],
  }),
  'presence:update': serverEvent({
    channel: 'presence',
    data: PresenceUpdate,
    description: "Who is online in the tenant; sent to the tenant's admins.",
    targets: ['role'],
  }),
} as const;

const Empty = z.strictObject({});
const StreamPosition = z.object({ stream: z.string(), seq: z.number().int().nonnegative() });

/** Client-to-server requests: each is answered by a typed ack (see `ackSchema`). */
export const clientEvents = {
  'kpi:subscribe': clientEvent({
    request: z.strictObject({ module: Module }),
    response: StreamPosition.extend({ module: Module }),
    description: "Join a module's KPI stream (if the user's roles allow the module).",
  }),
  'kpi:unsubscribe': clientEvent({
    request: z.strictObject({ module: Module }),
    response: z.object({ module: Module }),
    description: "Leave a module's KPI stream.",
  }),
  'dashboard:subscribe': clientEvent({
    request: Empty,
    response: z.object({ streams: z.array(StreamPosition) }),
    description: "Join the dashboard summary streams of the user's roles.",
  }),
  'dashboard:unsubscribe': clientEvent({
    request: Empty,
    response: Empty,
    description: 'Leave the dashboard summary streams.',
  }),
  'notifications:subscribe': clientEvent({
    request: Empty,
    response: z.object({ streams: z.array(StreamPosition) }),
    description: "The positions of the user's notification streams, to resume from after a reconnect.",
  }),
  'notification:markRead': clientEvent({
    request: z.strictObject({ id: EntityId }),
    response: NotificationsRead,
    description: 'Mark one notification read.',
  }),
  'notification:markAllRead': clientEvent({
    request: Empty,
    response: NotificationsRead,
    description: "Mark all of the user's notifications read.",
  }),
  'alert:acknowledge': clientEvent({
    request: z.strictObject({ id: EntityId }),
    response: AlertAcknowledged,
    description: 'Acknowledge a system alert.',
  }),
  ping: clientEvent({
    request: z.strictObject({ clientTime: z.number().int().nonnegative() }),
    response: z.object({ clientTime: z.number().int().nonnegative(), serverTime: z.number().int().nonnegative() }),
    description: 'Round trip for latency and clock offset.',
  }),
  'stream:resume': clientEvent({
    request: z.strictObject({ cursors: StreamCursors }),
    response: z.object({ replayed: z.number().int().nonnegative(), resync: z.array(z.string()) }),
    description: 'After a reconnect: replay what each stream missed since its cursor, or name the streams to resync.',
  }),
} as const;

export type ServerEvents = typeof serverEvents;
export type ClientEvents = typeof clientEvents;
export type ServerEventName = keyof ServerEvents;
export type ClientEventName = keyof ClientEvents;

export type ServerEventData<TEvent extends ServerEventName> = z.infer<ServerEvents[TEvent]['data']>;
export type ClientEventRequest<TEvent extends ClientEventName> = z.input<ClientEvents[TEvent]['request']>;
export type ClientEventResponse<TEvent extends ClientEventName> = z.infer<ClientEvents[TEvent]['response']>;

/** Events the server publishes to rooms (the others go to one socket). */
export type PublishableEventName = {
  [TEvent in ServerEventName]: ServerEvents[TEvent]['targets'] extends readonly [] ? never : TEvent;
}[ServerEventName];

/** The targets an event may be published to, as the catalog declares. */
export type TargetFor<TEvent extends ServerEventName> = Extract<
  Target,
  { kind: ServerEvents[TEvent]['targets'][number] }
>;

export const serverEventNames = Object.keys(serverEvents) as ServerEventName[];
export const clientEventNames = Object.keys(clientEvents) as ClientEventName[];

export function isServerEventName(name: unknown): name is ServerEventName {
  return typeof name === 'string' && Object.hasOwn(serverEvents, name);
}

export function isClientEventName(name: unknown): name is ClientEventName {
  return typeof name === 'string' && Object.hasOwn(clientEvents, name);
}

const envelopeCache = new Map<ServerEventName, z.ZodType>();
/** The full envelope schema of a server event (built once, then cached). */
export function serverEnvelopeSchema<TEvent extends ServerEventName>(
  event: TEvent,
): z.ZodType<Envelope<ServerEventData<TEvent>>> {
  let schema = envelopeCache.get(event);
  if (!schema) {
    schema = envelopeSchema(serverEvents[event].data);
    envelopeCache.set(event, schema);
  }
  return schema as z.ZodType<Envelope<ServerEventData<TEvent>>>;
}

const ackCache = new Map<ClientEventName, z.ZodType>();
/** The ack schema of a client request (built once, then cached). */
export function clientAckSchema<TEvent extends ClientEventName>(
  event: TEvent,
): z.ZodType<AckResponse<ClientEventResponse<TEvent>>> {
  let schema = ackCache.get(event);
  if (!schema) {
    schema = ackSchema(clientEvents[event].response);
    ackCache.set(event, schema);
  }
  return schema as z.ZodType<AckResponse<ClientEventResponse<TEvent>>>;
}

/** Whether the catalog allows publishing `event` to `target`. */
export function allowsTarget(event: ServerEventName, target: Target): boolean {
  return (serverEvents[event].targets as readonly TargetKind[]).includes(target.kind);
}

/** The room a target names. */
export function roomForTarget(target: Target): RoomName {
  switch (target.kind) {
    case 'user':
      return rooms.user(target.tenantId, target.userId);
    case 'role':
      return rooms.role(target.tenantId, target.role);
    case 'tenant':
      return rooms.tenant(target.tenantId);
    case 'module':
      return rooms.module(target.tenantId, target.module);
    case 'dashboard':
      return rooms.dashboard(target.tenantId, target.role);
    case 'system':
      return rooms.system();
  }
}

/**
 * The name of one ordered stream: a channel in a room, e.g. `kpi@tenant:acme:module:risk`.
 * Sequence numbers, cursors and replay are all per stream name.
 */
export function streamName(channel: Channel, room: RoomName): string {
  return `${channel}@${room}`;
}
