import { clientEventNames, clientEvents, serverEventNames, serverEvents, type TargetKind } from './catalog.js';
import { Module, Role } from './domain.js';
import { catalogJsonSchema, type JsonSchema } from './jsonSchema.js';
import { PROTOCOL_VERSION } from './protocol.js';

// Room templates as AsyncAPI channel addresses; `connection` is the client's own socket.
const channelsByTarget: Record<TargetKind, { address: string; parameters: string[]; description: string }> = {
  user: { address: 'tenant:{tenantId}:user:{userId}', parameters: ['tenantId', 'userId'], description: 'One user.' },
  role: {
    address: 'tenant:{tenantId}:role:{role}',
    parameters: ['tenantId', 'role'],
    description: 'A role in a tenant.',
  },
  tenant: { address: 'tenant:{tenantId}', parameters: ['tenantId'], description: 'Everyone in a tenant.' },
  module: {
    address: 'tenant:{tenantId}:module:{module}',
    parameters: ['tenantId', 'module'],
    description: "Subscribers to a module's KPIs in a tenant.",
  },
  dashboard: {
    address: 'tenant:{tenantId}:dashboard:{role}',
    parameters: ['tenantId', 'role'],
    description: "Dashboard subscribers of a role: summaries hold only that role's modules.",
  },
  system: { address: 'system', parameters: [], description: 'Everyone: system-wide alerts only.' },
};

const parameters: Record<string, JsonSchema> = {
  tenantId: { description: 'Tenant slug.' },
  userId: { description: 'User id, unique within its tenant.' },
  role: { description: 'A role.', enum: [...Role.options] },
  module: { description: 'A KPI module.', enum: [...Module.options] },
};

const key = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');

/** An AsyncAPI 3.0 document describing the server's side of the protocol, built from the catalog. */
export function buildAsyncApiDocument(options: { serverHost?: string } = {}) {
  const schema = catalogJsonSchema();
  const messages: Record<string, JsonSchema> = {};
  const channels: Record<string, JsonSchema> = {
    connection: {
      address: null,
      title: 'Connection',
      description: "The client's own Socket.IO connection: session events, requests and their acks.",
      messages: {},
    },
  };
  const operations: Record<string, JsonSchema> = {};
  const channelMessages = (channel: string) => (channels[channel] as { messages: Record<string, unknown> }).messages;

  for (const name of serverEventNames) {
    const event = schema.serverToClient[name];
    if (!event) continue;
    const messageKey = key(name);
    messages[messageKey] = {
      name,
      title: name,
      summary: serverEvents[name].description,
      payload: event.payload,
    };
    const targets = serverEvents[name].targets as readonly TargetKind[];
    const channelKeys = targets.length === 0 ? ['connection'] : [...targets];
    for (const channelKey of channelKeys) {
      if (!channels[channelKey]) {
        const room = channelsByTarget[channelKey as TargetKind];
        channels[channelKey] = {
          address: room.address,
          description: room.description,
          messages: {},
          ...(room.parameters.length > 0 && {
            parameters: Object.fromEntries(room.parameters.map((p) => [p, parameters[p]])),
          }),
        };
      }
      channelMessages(channelKey)[messageKey] = { $ref: `#/components/messages/${messageKey}` };
      operations[`send_${messageKey}_to_${channelKey}`] = {
        action: 'send',
        summary: serverEvents[name].description,
        channel: { $ref: `#/channels/${channelKey}` },
        messages: [{ $ref: `#/channels/${channelKey}/messages/${messageKey}` }],
      };
    }
  }

  for (const name of clientEventNames) {
    const event = schema.clientToServer[name];
    if (!event) continue;
    const requestKey = key(name);
    const ackKey = `${requestKey}_ack`;
    messages[requestKey] = { name, title: name, summary: clientEvents[name].description, payload: event.request };
    messages[ackKey] = { name: `${name} (ack)`, title: `${name} ack`, payload: event.response };
    channelMessages('connection')[requestKey] = { $ref: `#/components/messages/${requestKey}` };
    channelMessages('connection')[ackKey] = { $ref: `#/components/messages/${ackKey}` };
    operations[`receive_${requestKey}`] = {
      action: 'receive',
      summary: clientEvents[name].description,
      channel: { $ref: '#/channels/connection' },
      messages: [{ $ref: `#/channels/connection/messages/${requestKey}` }],
      reply: {
        channel: { $ref: '#/channels/connection' },
        messages: [{ $ref: `#/channels/connection/messages/${ackKey}` }],
      },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Operations realtime streams',
      version: `${PROTOCOL_VERSION}.0.0`,
      description:
        'KPI updates, notifications and system alerts over Socket.IO. Every server event is an envelope ' +
        '{ id, stream, seq, ts, data }; every client request is answered by an ack ' +
        '{ ok: true, data } | { ok: false, error: { code, message, issues? } }.',
    },
    defaultContentType: 'application/json',
    servers: {
      api: {
        host: options.serverHost ?? 'localhost:4000',
        protocol: 'ws',
        pathname: '/socket.io',
        description: `Socket.IO v5 (Engine.IO v4). Send { token, protocol: ${PROTOCOL_VERSION} } as the handshake auth.`,
      },
    },
    channels,
    operations,
    components: { messages },
  };
}
