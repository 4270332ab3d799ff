// The real API (`createApiServer`, as `apps/api/src/main.ts` starts it), in a child process that
// also answers the test's IPC probes: heap after GC, sockets, rooms, listeners and timers, and
// publishes events the test hands it through the server's own publish API.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApiServer, loadConfig } from '@org/api';

const api = await createApiServer(loadConfig());
await api.listen();

type EmitterLike = { eventNames(): (string | symbol)[]; listenerCount(event: string | symbol): number };
const listenerTotal = (emitter: EmitterLike) =>
  emitter.eventNames().reduce((sum, name) => sum + emitter.listenerCount(name), 0);

function probe() {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i += 1) gc?.();
  const io = api.realtime.io;
  const nsp = io.of('/');
  const resources = process.getActiveResourcesInfo();
  return {
    heapUsed: process.memoryUsage().heapUsed,
    rss: process.memoryUsage().rss,
    gcExposed: gc !== undefined,
    sockets: nsp.sockets.size,
    engineClients: io.engine.clientsCount,
    rooms: nsp.adapter.rooms.size,
    sids: nsp.adapter.sids.size,
    listeners:
      listenerTotal(api.httpServer) +
      listenerTotal(io as unknown as EmitterLike) +
      listenerTotal(io.engine as unknown as EmitterLike) +
      listenerTotal(nsp as unknown as EmitterLike) +
      listenerTotal(nsp.adapter as unknown as EmitterLike),
    timers: resources.filter((kind) => kind === 'Timeout').length,
    handles: resources.length,
    stats: api.realtime.stats(),
    /** Keys someone managed to put on Object.prototype (prototype pollution). */
    polluted: Object.keys(Object.prototype).length + Object.keys(Array.prototype).length,
  };
}

/** How late the server's event loop ran (what every request and delivery waits behind). */
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const ms = (ns: number) => Math.round(ns / 1e4) / 100;

/** Events the test hands over to publish from inside the process (no HTTP, no store). */
type PublishRequest = { event: string; target: unknown; data: unknown };

/**
 * Publishes a batch in order without waiting between events (numbering happens in the call; a
 * conflated KPI update settles only when its frame goes, up to a window later).
 */
async function publishAll(events: PublishRequest[]) {
  const publish = api.realtime.publish as (event: string, target: unknown, data: unknown) => Promise<unknown>;
  const outcomes = await Promise.allSettled(events.map(({ event, target, data }) => publish(event, target, data)));
  const errors = outcomes.flatMap((outcome, index) =>
    outcome.status === 'rejected' ? [`${events[index]?.event}: ${(outcome.reason as Error).message}`] : [],
  );
  return { published: events.length - errors.length, failed: errors.length, errors: errors.slice(0, 5) };
}

process.on('message', (message: { type?: string; id?: number; events?: PublishRequest[] }) => {
  if (message?.type === 'probe') process.send?.({ type: 'probe', id: message.id, data: probe() });
  if (message?.type === 'publish') {
    void publishAll(message.events ?? []).then((data) => process.send?.({ type: 'publish', id: message.id, data }));
  }
  if (message?.type === 'loop') {
    const data = { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) };
    loop.reset();
    process.send?.({ type: 'loop', id: message.id, data });
  }
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await api.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.send?.({ type: 'listening' });
