/**
 * Just enough of the Engine.IO v4 / Socket.IO v5 wire protocol for light load clients, over a
 * WebSocket transport (text frames only; the default namespace `/`).
 *
 * Engine.IO packet types: 0 open, 1 close, 2 ping, 3 pong, 4 message, 5 upgrade, 6 noop.
 * A Socket.IO packet rides in an Engine.IO message: 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK,
 * 4 CONNECT_ERROR, so an event is `42["name",data]`, with an ack id `42N[...]`, its ack `43N[...]`.
 */

export type Frame =
  | { kind: 'open'; data: { sid: string; pingInterval: number; pingTimeout: number; maxPayload: number } }
  | { kind: 'close' }
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'noop' }
  | { kind: 'connect'; data: unknown }
  | { kind: 'disconnect' }
  | { kind: 'connect_error'; data: unknown }
  | { kind: 'event'; name: string; args: unknown[]; ackId: number | undefined }
  | { kind: 'ack'; ackId: number; args: unknown[] }
  | { kind: 'unknown'; text: string };

/** The Engine.IO WebSocket URL of a Socket.IO server. */
export function socketIoUrl(host: string, port: number, path = '/socket.io/'): string {
  return `ws://${host}:${port}${path}?EIO=4&transport=websocket`;
}

export const PING = '2';
export const PONG = '3';

/** `40` or `40{auth}`: connect to the default namespace. */
export function encodeConnect(auth?: Record<string, unknown>): string {
  return auth === undefined ? '40' : `40${JSON.stringify(auth)}`;
}

/** `42["name",...args]`, or `42N[...]` when an ack is wanted. */
export function encodeEvent(name: string, args: readonly unknown[], ackId?: number): string {
  return `42${ackId ?? ''}${JSON.stringify([name, ...args])}`;
}

/** `43N[...args]`: answers a server event that asked for an ack. */
export function encodeAck(ackId: number, args: readonly unknown[]): string {
  return `43${ackId}${JSON.stringify(args)}`;
}

/** Reads the digits of an ack id at `from`; returns the id (or undefined) and where the JSON starts. */
function readAckId(text: string, from: number): { ackId: number | undefined; at: number } {
  let at = from;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code < 48 || code > 57) break;
    at += 1;
  }
  return { ackId: at > from ? Number(text.slice(from, at)) : undefined, at };
}

function parseJson(text: string): unknown {
  return text.length === 0 ? undefined : JSON.parse(text);
}

/** Decodes one text frame. Throws on malformed JSON. */
export function decodeFrame(text: string): Frame {
  switch (text[0]) {
    case '0':
      return { kind: 'open', data: JSON.parse(text.slice(1)) as Extract<Frame, { kind: 'open' }>['data'] };
    case '1':
      return { kind: 'close' };
    case '2':
      return { kind: 'ping' };
    case '3':
      return { kind: 'pong' };
    case '6':
      return { kind: 'noop' };
    case '4':
      break;
    default:
      return { kind: 'unknown', text };
  }
  // Engine.IO message: a Socket.IO packet. A namespace other than `/` would follow as `/nsp,`.
  let at = 2;
  if (text[at] === '/') at = text.indexOf(',', at) + 1;
  switch (text[1]) {
    case '0':
      return { kind: 'connect', data: parseJson(text.slice(at)) };
    case '1':
      return { kind: 'disconnect' };
    case '4':
      return { kind: 'connect_error', data: parseJson(text.slice(at)) };
    case '2': {
      const { ackId, at: json } = readAckId(text, at);
      const [name, ...args] = JSON.parse(text.slice(json)) as [string, ...unknown[]];
      return { kind: 'event', name, args, ackId };
    }
    case '3': {
      const { ackId, at: json } = readAckId(text, at);
      if (ackId === undefined) return { kind: 'unknown', text };
      return { kind: 'ack', ackId, args: JSON.parse(text.slice(json)) as unknown[] };
    }
    default:
      return { kind: 'unknown', text };
  }
}

const VALUE_KEY = '"value":';

/**
 * The hot path of a load client: every `"value":<number>` in a frame, without parsing the frame.
 * The bench puts the publish time in each KPI's value, so this is what the latency is read from,
 * and it costs the same whichever server sent the frame.
 */
export function scanValues(text: string, into: (value: number) => void): number {
  let found = 0;
  let at = text.indexOf(VALUE_KEY);
  while (at !== -1) {
    const start = at + VALUE_KEY.length;
    let end = start;
    while (end < text.length) {
      const code = text.charCodeAt(end);
      // digits, '.', '-', '+', 'e', 'E'
      if ((code >= 48 && code <= 57) || code === 46 || code === 45 || code === 43 || code === 101 || code === 69) {
        end += 1;
      } else break;
    }
    const value = Number(text.slice(start, end));
    if (end > start && Number.isFinite(value)) {
      into(value);
      found += 1;
    }
    at = text.indexOf(VALUE_KEY, end);
  }
  return found;
}
