/**
 * A steady stream against one server kind, with the CPU of both sides: where does the time go?
 * Usage: profileSteady.ts <full|bare|ws> <clients> <events/s> <duration ms> [load processes] [conflation ms]
 * With BENCH_CPU_PROF=<dir> the server writes a CPU profile; BENCH_LOAD_CPU_PROF=<dir> the load
 * processes too.
 */
import { startLoad, startServer, type WaitReport } from './harness.js';
import type { ServerKind } from './serverChild.js';

const kind = (process.argv[2] ?? 'full') as ServerKind;
const clients = Number(process.argv[3] ?? 10_000);
const perSecond = Number(process.argv[4] ?? 2);
const durationMs = Number(process.argv[5] ?? 5_000);
const loads = Number(process.argv[6] ?? 1);
const conflationMs = process.argv[7] === undefined ? false : Number(process.argv[7]);

const server = await startServer({ kind, conflationMs }, `${kind}-steady`);
const children = [];
for (let index = 0; index < loads; index += 1) {
  children.push(await startLoad({ kind, ports: [server.port], clients: Math.round(clients / loads) }));
}
const connected = await Promise.all(
  children.map((load) => load.request<{ live: number }>({ cmd: 'connect', concurrency: 500 }, 150_000)),
);
const live = connected.reduce((sum, c) => sum + c.live, 0);
// Warm-up burst (JIT on both sides), then the stream.
await Promise.all(children.map((load) => load.request({ cmd: 'reset' })));
await server.child.request({ cmd: 'burst', events: 3 });
await Promise.all(
  children.map((load, index) =>
    load.request({ cmd: 'wait', expected: 3 * (connected[index]?.live ?? 0), idleMs: 2_000 }, 60_000),
  ),
);
await Promise.all(children.map((load) => load.request({ cmd: 'reset' })));
await server.child.request({ cmd: 'cpuStart' });
const { published } = await server.child.request<{ published: number }>(
  { cmd: 'rate', perSecond, durationMs, keys: 1, keySpace: 20 },
  durationMs + 60_000,
);
const cpu = await server.child.request<{ cores: number; cpuMs: number; gcMaxPauseMs: number }>({ cmd: 'cpuStop' });
const waits = await Promise.all(
  children.map((load, index) =>
    load.request<WaitReport>(
      {
        cmd: 'wait',
        expected: conflationMs === false ? published * (connected[index]?.live ?? 0) : Number.POSITIVE_INFINITY,
        idleMs: conflationMs === false ? 3_000 : 1_000,
      },
      90_000,
    ),
  ),
);
console.log({
  kind,
  live,
  published,
  delivered: waits.reduce((sum, w) => sum + w.frames, 0),
  framesPerClient: waits.map((w) => w.framesPerClient),
  p50: waits.map((w) => w.latency.p50),
  p99: waits.map((w) => w.latency.p99),
  max: waits.map((w) => w.latency.max),
  serverCores: cpu.cores,
  serverCpuMsPerPublish: cpu.cpuMs / published,
  serverGcMaxPauseMs: cpu.gcMaxPauseMs,
  loadCores: waits.map((w) => w.load.cores),
  loadCpuMsPerPublish: waits.map((w) => w.load.cpuMs / published),
  loadLoopDelayMaxMs: waits.map((w) => w.load.loopDelayMaxMs),
});
for (const load of children) await load.stop();
await server.child.stop();
