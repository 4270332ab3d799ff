import { z } from 'zod';
import { clientEventNames, clientEvents, serverEnvelopeSchema, serverEventNames, serverEvents } from './catalog.js';
import { ackSchema } from './errors.js';
import { HandshakeAuth, PROTOCOL_VERSION } from './protocol.js';
import * as rest from './rest.js';

export type JsonSchema = { [key: string]: unknown };

/** Which way a schema's values travel, which decides what counts as a breaking change. */
export type Direction = 'request' | 'response';

/** The whole contract as JSON Schema (draft-07): the form that is snapshotted and published. */
export type CatalogSchema = {
  protocolVersion: number;
  handshake: JsonSchema;
  serverToClient: Record<string, { channel: string; description: string; targets: string[]; payload: JsonSchema }>;
  clientToServer: Record<string, { description: string; request: JsonSchema; response: JsonSchema }>;
  rest: Record<string, { direction: Direction; schema: JsonSchema }>;
};

/** A zod schema as JSON Schema draft-07, without the `$schema` key. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' });
  return json as JsonSchema;
}

const restDirections: Record<string, Direction> = {
  LoginRequest: 'request',
  LoginResponse: 'response',
  UserProfile: 'response',
  DemoUsersResponse: 'response',
  KpiQuery: 'request',
  KpiSnapshot: 'response',
  DashboardSnapshot: 'response',
  NotificationsQuery: 'request',
  NotificationsPage: 'response',
  UnreadCountResponse: 'response',
  AlertsQuery: 'request',
  AlertsResponse: 'response',
  PublishEventRequest: 'request',
  PublishEventResponse: 'response',
  RealtimeStats: 'response',
  PresenceResponse: 'response',
};

export function catalogJsonSchema(): CatalogSchema {
  const serverToClient: CatalogSchema['serverToClient'] = {};
  for (const name of serverEventNames) {
    const { channel, description, targets } = serverEvents[name];
    serverToClient[name] = {
      channel,
      description,
      targets: [...targets],
      payload: toJsonSchema(serverEnvelopeSchema(name), 'output'),
    };
  }
  const clientToServer: CatalogSchema['clientToServer'] = {};
  for (const name of clientEventNames) {
    const { description, request, response } = clientEvents[name];
    clientToServer[name] = {
      description,
      request: toJsonSchema(request, 'input'),
      response: toJsonSchema(ackSchema(response), 'output'),
    };
  }
  const restSchemas: CatalogSchema['rest'] = {};
  for (const [name, direction] of Object.entries(restDirections)) {
    const schema = (rest as Record<string, unknown>)[name] as z.ZodType;
    restSchemas[name] = { direction, schema: toJsonSchema(schema, direction === 'request' ? 'input' : 'output') };
  }
  return {
    protocolVersion: PROTOCOL_VERSION,
    handshake: toJsonSchema(HandshakeAuth, 'input'),
    serverToClient,
    clientToServer,
    rest: restSchemas,
  };
}
