/** Profiles one server kind while `clients` connect (BENCH_CPU_PROF=<dir> must be set). */
import { startLoad, startServer } from './harness.js';
import type { ServerKind } from './serverChild.js';

const kind = (process.argv[2] ?? 'full') as ServerKind;
const clients = Number(process.argv[3] ?? 5000);
const concurrency = Number(process.argv[4] ?? 500);
const server = await startServer({ kind, conflationMs: false }, `${kind}-connect`);
const load = await startLoad({ kind, ports: [server.port], clients });
console.log(await load.request({ cmd: 'connect', concurrency, timeoutMs: 120_000 }, 150_000));
await load.stop();
await server.child.stop();
