/**
 * Connects `clients` to one server kind and reports connect time and idle memory; with
 * BENCH_CPU_PROF=<dir> the server writes a CPU profile, with BENCH_SERVER_ENTRY another server copy
 * is measured. Usage: profileConnect.ts <full|bare|ws> <clients> <concurrency (0: storm)>
 * BENCH_WARMUP=<n>: first n clients connect, take a burst and leave, as in the idle-memory scenario, so
 * that lazily loaded code is in the baseline and the figure per client compares with the scenario's.
 */
import { startLoad, startServer } from './harness.js';
import type { ServerKind } from './serverChild.js';

const kind = (process.argv[2] ?? 'full') as ServerKind;
const clients = Number(process.argv[3] ?? 5000);
const concurrency = Number(process.argv[4] ?? 500);
const server = await startServer({ kind, conflationMs: false }, `${kind}-connect`);
const load = await startLoad({ kind, ports: [server.port], clients });
const warmup = Number(process.env.BENCH_WARMUP ?? 0);
if (warmup > 0) {
  const warm = await startLoad({ kind, ports: [server.port], clients: warmup });
  const warmed = await warm.request<{ live: number }>({ cmd: 'connect', concurrency: 100, timeoutMs: 30_000 }, 60_000);
  await warm.request({ cmd: 'reset' });
  await server.child.request({ cmd: 'burst', events: 3 });
  await warm.request({ cmd: 'wait', expected: 3 * warmed.live, idleMs: 3_000 }, 60_000);
  await warm.stop();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}
const before = await server.child.request<{ rss: number; heapUsed: number }>({ cmd: 'memory' });
const connected = await load.request<{ live: number; allLiveMs: number }>(
  { cmd: 'connect', concurrency, timeoutMs: 120_000 },
  150_000,
);
console.log({ live: connected.live, allLiveMs: connected.allLiveMs });
await new Promise((resolve) => setTimeout(resolve, 1_000));
const after = await server.child.request<{ rss: number; heapUsed: number; connections: number }>({ cmd: 'memory' });
console.log({
  rssKiBPerClient: (after.rss - before.rss) / 1024 / after.connections,
  heapKiBPerClient: (after.heapUsed - before.heapUsed) / 1024 / after.connections,
});
const bursts = Number(process.env.BENCH_BURSTS ?? 0);
if (bursts > 0) {
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  // BENCH_BURST_PROF=<file.cpuprofile>: a CPU profile of the server over the bursts only.
  const profileFile = process.env.BENCH_BURST_PROF;
  if (profileFile) await server.child.request({ cmd: 'profileStart' });
  for (let run = 0; run < bursts; run += 1) {
    await load.request({ cmd: 'reset' });
    const started = Date.now();
    await server.child.request({ cmd: 'burst', events: 20 });
    const wait = await load.request<{ deliveriesPerSecond: number; latency: { p99: number } }>(
      { cmd: 'wait', expected: 20 * clients, idleMs: 3_000 },
      90_000,
    );
    console.log({
      run,
      ms: Date.now() - started,
      perSecond: Math.round(wait.deliveriesPerSecond),
      p99: wait.latency.p99,
    });
  }
  if (profileFile) console.log(await server.child.request({ cmd: 'profileStop', file: profileFile }));
}
if (process.env.BENCH_HEAP_SNAPSHOT) {
  console.log(await server.child.request({ cmd: 'heapSnapshot', file: process.env.BENCH_HEAP_SNAPSHOT }, 120_000));
}
await load.stop();
await server.child.stop();
