/**
 * Light clients for the fan-out benchmark, in their own process so they do not share the server's
 * event loop. Driven over IPC: `connect` N sockets to a URL (realtime: token + kpi:subscribe; bare:
 * plain connect), then count `kpi:update` frames until `expected` have arrived.
 */
import { io, type Socket } from 'socket.io-client';

type Command =
  | { type: 'connect'; url: string; count: number; auth?: { token: string; protocol: number }; subscribe: boolean }
  | { type: 'expect'; total: number }
  | { type: 'close' };

let sockets: Socket[] = [];
let received = 0;
let expected = Number.POSITIVE_INFINITY;

const send = (message: unknown) => process.send?.(message);

function onFrame() {
  received += 1;
  if (received === expected) send({ type: 'done', received, at: Date.now() });
}

process.on('message', async (command: Command) => {
  switch (command.type) {
    case 'connect': {
      received = 0;
      expected = Number.POSITIVE_INFINITY;
      sockets = await Promise.all(
        Array.from({ length: command.count }, async () => {
          const socket = io(command.url, {
            transports: ['websocket'],
            reconnection: false,
            forceNew: true,
            ...(command.auth ? { auth: command.auth } : {}),
          });
          await new Promise<void>((resolve, reject) => {
            socket.once('connect', () => resolve());
            socket.once('connect_error', reject);
          });
          if (command.subscribe) await socket.emitWithAck('kpi:subscribe', { module: 'risk' });
          socket.on('kpi:update', onFrame);
          return socket;
        }),
      );
      send({ type: 'connected', count: sockets.length });
      break;
    }
    case 'expect':
      expected = command.total;
      if (received >= expected) send({ type: 'done', received, at: Date.now() });
      break;
    case 'close':
      for (const socket of sockets) socket.disconnect();
      sockets = [];
      send({ type: 'closed' });
      break;
  }
});
