import { startRedis } from '@org/test-support';
import { sleep } from './clock.js';
import {
  type ConnectReport,
  type CpuReport,
  collect,
  type MemoryReport,
  type Row,
  type RunningServer,
  SERVER_LABELS,
  startLoad,
  startServer,
  type Table,
  type WaitReport,
} from './harness.js';
import type { Child } from './ipc.js';
import type { LoadConfig } from './loadChild.js';
import type { ServerConfig, ServerKind } from './serverChild.js';
import { spread } from './stats.js';

export type Scale = {
  quick: boolean;
  runs: number;
  /** Fan-out bursts are short (~1-3 s) and noisy on a shared machine: more interleaved runs per median. */
  fanoutRuns: number;
  fanoutSizes: number[];
  /** Events per burst for a given number of clients. */
  fanoutEvents: (clients: number) => number;
  steadyClients: number;
  steadyPerSecond: number;
  steadyMs: number;
  /** Steady stream across rooms: how many tenant × module rooms, events/s per client at each step, and how long. */
  roomsClients: number;
  roomsCount: number;
  roomsRates: number[];
  roomsMs: number;
  roomsRuns: number;
  /** The payload-encoding evaluation is not a target: fewer runs. */
  evaluationRuns: number;
  hotClients: number;
  hotPerSecond: number;
  hotMs: number;
  bothCoresClients: number;
  evaluationClients: number;
  browserEvents: number;
};

export const FULL: Scale = {
  quick: false,
  runs: 3,
  fanoutRuns: 5,
  fanoutSizes: [2_000, 10_000],
  fanoutEvents: (clients) => (clients >= 10_000 ? 20 : 50),
  steadyClients: 10_000,
  steadyPerSecond: 2,
  steadyMs: 5_000,
  roomsClients: 10_000,
  roomsCount: 100,
  roomsRates: [1, 2],
  roomsMs: 5_000,
  roomsRuns: 2,
  evaluationRuns: 1,
  hotClients: 10_000,
  hotPerSecond: 1_000,
  hotMs: 3_000,
  bothCoresClients: 10_000,
  evaluationClients: 2_000,
  browserEvents: 200,
};

export const QUICK: Scale = {
  quick: true,
  runs: 1,
  fanoutRuns: 1,
  fanoutSizes: [500, 1_000],
  fanoutEvents: () => 20,
  steadyClients: 1_000,
  steadyPerSecond: 2,
  steadyMs: 2_000,
  roomsClients: 500,
  roomsCount: 10,
  roomsRates: [2],
  roomsMs: 1_500,
  roomsRuns: 1,
  evaluationRuns: 1,
  hotClients: 500,
  hotPerSecond: 1_000,
  hotMs: 1_000,
  bothCoresClients: 1_000,
  evaluationClients: 300,
  browserEvents: 40,
};

export const KINDS: ServerKind[] = ['full', 'bare', 'ws'];

/** A target from the issue, as measured in this run. */
export type Check = { target: string; measured: string; met: boolean };
export type ScenarioResult = { tables: Table[]; raw: unknown; checks?: Check[] };

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

type Setup = { servers: RunningServer[]; load: Child; connect: ConnectReport };
type SetupSpec = {
  server: ServerConfig | ServerConfig[];
  load: Omit<LoadConfig, 'ports'> & { concurrency?: number };
};

/** Starts the server process(es) and a load process, and connects its clients (paced). */
async function openSetup(spec: SetupSpec, opened: Setup[]): Promise<Setup> {
  const configs = Array.isArray(spec.server) ? spec.server : [spec.server];
  const servers: RunningServer[] = [];
  const partial: Setup = {
    servers,
    load: undefined as unknown as Child,
    connect: undefined as unknown as ConnectReport,
  };
  opened.push(partial);
  for (const [index, config] of configs.entries()) servers.push(await startServer(config, `${config.kind}${index}`));
  partial.load = await startLoad({ ...spec.load, ports: servers.map((s) => s.port) });
  partial.connect = await partial.load.request<ConnectReport>(
    { cmd: 'connect', concurrency: spec.load.concurrency ?? 500, timeoutMs: 90_000 },
    120_000,
  );
  if (partial.connect.live < spec.load.clients) {
    process.stderr.write(
      `  ! ${partial.connect.live}/${spec.load.clients} live: ${JSON.stringify(partial.connect.errors)}\n`,
    );
  }
  return partial;
}

async function closeSetups(opened: Setup[]): Promise<void> {
  for (const setup of opened) {
    await setup.load?.stop().catch(() => undefined);
    for (const running of setup.servers) await running.child.stop().catch(() => undefined);
  }
}

/** A server and a load process with `clients` live clients; always stopped, even on failure. */
async function withSetup<T>(
  server: ServerConfig | ServerConfig[],
  load: Omit<LoadConfig, 'ports'> & { concurrency?: number },
  body: (setup: Setup) => Promise<T>,
): Promise<T> {
  const opened: Setup[] = [];
  try {
    return await body(await openSetup({ server, load }, opened));
  } finally {
    await closeSetups(opened);
  }
}

/**
 * Several setups connected at once, their runs interleaved (A B C, B C A, ...): on a shared,
 * noisy machine a slow spell then hits every server, not just the one measured at that moment.
 */
async function withSetups<T>(specs: SetupSpec[], body: (setups: Setup[]) => Promise<T>): Promise<T> {
  const opened: Setup[] = [];
  try {
    const setups: Setup[] = [];
    for (const spec of specs) setups.push(await openSetup(spec, opened));
    return await body(setups);
  } finally {
    await closeSetups(opened);
  }
}

/**
 * The order of the setups in round `run`: A B C, then B C A, C A B, ... so that no server always
 * goes first (right after another's burst, or after the idle gap between rounds).
 */
function rotated(count: number, run: number): number[] {
  return Array.from({ length: count }, (_, offset) => (run + offset) % count);
}

/** One burst from `publisher`, measured at the clients. */
async function burst(publisher: Child, load: Child, events: number, live: number, keys = 1): Promise<WaitReport> {
  await load.request({ cmd: 'reset' });
  await publisher.request({ cmd: 'burst', events, keys });
  return load.request<WaitReport>({ cmd: 'wait', expected: events * live, idleMs: 3_000, timeoutMs: 60_000 }, 90_000);
}

function append<T>(into: Record<string, T[]>, key: string, value: T): void {
  const list = into[key] ?? [];
  list.push(value);
  into[key] = list;
}

function log(message: string) {
  process.stdout.write(`  ${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function fanoutRow(label: string, runs: WaitReport[], connect?: ConnectReport): Row {
  return {
    label,
    figures: {
      'deliveries/s': collect(runs, (r) => r.deliveriesPerSecond),
      'p50 ms': collect(runs, (r) => r.latency.p50),
      'p99 ms': collect(runs, (r) => r.latency.p99),
      'max ms': collect(runs, (r) => r.latency.max),
      delivered: `${Math.min(...runs.map((r) => r.frames))}/${runs[0]?.expected ?? 0}`,
      ...(connect ? { live: `${connect.live}/${connect.clients}` } : {}),
    },
  };
}

/** Scenario 1: a burst to every client of one module room. */
export async function fanout(scale: Scale, kinds: ServerKind[] = KINDS): Promise<ScenarioResult> {
  const tables: Table[] = [];
  const checks: Check[] = [];
  const raw: Record<string, unknown> = {};
  for (const clients of scale.fanoutSizes) {
    const events = scale.fanoutEvents(clients);
    const rows: Row[] = [];
    const medians: Partial<Record<ServerKind, number>> = {};
    log(`fan-out ${clients} clients: ${kinds.map((kind) => SERVER_LABELS[kind]).join(', ')}, interleaved`);
    const results = await withSetups(
      kinds.map((kind) => ({ server: { kind, conflationMs: false }, load: { kind, clients } })),
      async (setups) => {
        const byKind = setups.map(() => [] as WaitReport[]);
        for (const setup of setups) await burst(setup.servers[0]?.child as Child, setup.load, 3, setup.connect.live);
        for (let run = 0; run < scale.fanoutRuns; run += 1) {
          for (const index of rotated(setups.length, run)) {
            const setup = setups[index] as Setup;
            byKind[index]?.push(await burst(setup.servers[0]?.child as Child, setup.load, events, setup.connect.live));
          }
        }
        return setups.map((setup, index) => ({ connect: setup.connect, runs: byKind[index] ?? [] }));
      },
    );
    for (const [index, kind] of kinds.entries()) {
      const { connect, runs } = results[index] as { connect: ConnectReport; runs: WaitReport[] };
      rows.push(fanoutRow(SERVER_LABELS[kind], runs, connect));
      raw[`${clients}:${kind}`] = runs;
      medians[kind] = spread(runs.map((r) => r.deliveriesPerSecond)).median;
    }
    const full = rows.find((row) => row.label === SERVER_LABELS.full);
    if (full && medians.full && medians.bare) full.figures['x bare'] = medians.full / medians.bare;
    const ratio = (medians.full ?? Number.NaN) / (medians.bare ?? Number.NaN);
    checks.push({
      target: `fan-out ${clients} clients: full stack >= 0.9x bare Socket.IO deliveries/s`,
      measured: `${fmt(ratio)}x`,
      met: ratio >= 0.9,
    });
    tables.push({
      title: `1. Fan-out: ${clients.toLocaleString('en-US')} clients, bursts of ${events} events`,
      note: 'Deliveries/s from first publish to last receive; latency publish→receive over every delivery.',
      rows,
    });
  }
  return { tables, raw, checks };
}

/** Scenarios 4, 3 and 2 on the same connections: storm in, measure idle memory, then a steady stream. */
export async function stormMemorySteady(scale: Scale, kinds: ServerKind[] = KINDS): Promise<ScenarioResult> {
  const clients = scale.steadyClients;
  const storm: Record<string, ConnectReport[]> = {};
  const memory: Record<
    string,
    { perClientRss: number; perClientHeap: number; baseline: MemoryReport; loaded: MemoryReport }[]
  > = {};
  const steady: Record<string, { wait: WaitReport; cpu: CpuReport; published: number }[]> = {};
  for (let run = 0; run < scale.runs; run += 1) {
    for (const kind of kinds) {
      log(`storm/memory/steady run ${run + 1}, ${clients} clients, ${SERVER_LABELS[kind]}`);
      const server = await startServer({ kind, conflationMs: false }, `${kind}-storm`);
      const load = await startLoad({ kind, ports: [server.port], clients });
      try {
        // Warm-up: a few clients go through connect, subscribe and a burst, then leave, so code,
        // shapes and lazily loaded modules are in the baseline and not counted per client.
        const warm = await startLoad({ kind, ports: [server.port], clients: 200 });
        const warmed = await warm.request<ConnectReport>(
          { cmd: 'connect', concurrency: 100, timeoutMs: 30_000 },
          60_000,
        );
        await burst(server.child, warm, 3, warmed.live);
        await warm.stop();
        await sleep(1_000);
        const baseline = await server.child.request<MemoryReport>({ cmd: 'memory' });
        const connect = await load.request<ConnectReport>(
          { cmd: 'connect', concurrency: 0, timeoutMs: 90_000 },
          120_000,
        );
        append(storm, kind, connect);
        await sleep(1_000);
        const loaded = await server.child.request<MemoryReport>({ cmd: 'memory' });
        const n = Math.max(1, loaded.connections);
        append(memory, kind, {
          perClientRss: (loaded.rss - baseline.rss) / n,
          perClientHeap: (loaded.heapUsed - baseline.heapUsed) / n,
          baseline,
          loaded,
        });
        await burst(server.child, load, 3, connect.live); // warm-up: JIT on both sides
        await load.request({ cmd: 'reset' });
        await server.child.request({ cmd: 'cpuStart' });
        const { published } = await server.child.request<{ published: number }>(
          { cmd: 'rate', perSecond: scale.steadyPerSecond, durationMs: scale.steadyMs },
          scale.steadyMs + 60_000,
        );
        const cpu = await server.child.request<CpuReport>({ cmd: 'cpuStop' });
        const wait = await load.request<WaitReport>(
          { cmd: 'wait', expected: published * connect.live, idleMs: 3_000 },
          90_000,
        );
        append(steady, kind, { wait, cpu, published });
      } finally {
        await load.stop().catch(() => undefined);
        await server.child.stop().catch(() => undefined);
      }
    }
  }
  const label = (kind: ServerKind) => SERVER_LABELS[kind];
  const memMedian = (kind: ServerKind) => spread((memory[kind] ?? []).map((m) => m.perClientRss)).median;
  const heapMedian = (kind: ServerKind) => spread((memory[kind] ?? []).map((m) => m.perClientHeap)).median;
  const tables: Table[] = [
    {
      title: `2. Steady stream: ${clients.toLocaleString('en-US')} clients, ${scale.steadyPerSecond} events/s each, ${scale.steadyMs / 1000} s`,
      note:
        'Server CPU is process.cpuUsage() in the server child over the stream (1.00 = one core); ms/event is CPU per event ' +
        'published, i.e. to deliver it to every client (server: encode once, one write per socket; load: one read and scan per client).',
      rows: kinds.map((kind) => {
        const runs = steady[kind] ?? [];
        return {
          label: label(kind),
          figures: {
            'p50 ms': collect(runs, (r) => r.wait.latency.p50),
            'p99 ms': collect(runs, (r) => r.wait.latency.p99),
            'max ms': collect(runs, (r) => r.wait.latency.max),
            'server CPU (cores)': collect(runs, (r) => r.cpu.cores),
            'server CPU ms/event': collect(runs, (r) => r.cpu.cpuMs / r.published),
            'load CPU ms/event': collect(runs, (r) => r.wait.load.cpuMs / r.published),
            'load switches/delivery': collect(runs, (r) => r.wait.load.switchesPerFrame),
            'GC ms (max pause)': collect(runs, (r) => r.cpu.gcMaxPauseMs),
            delivered: `${Math.min(...runs.map((r) => r.wait.frames))}/${runs[0]?.wait.expected ?? 0}`,
          },
        };
      }),
    },
    {
      title: `3. Idle memory per connected, authenticated client (${clients.toLocaleString('en-US')} clients, after GC)`,
      note: 'Baseline taken after 200 warm-up clients connected, received a burst and left (code and modules loaded).',
      rows: kinds.map((kind) => ({
        label: label(kind),
        figures: {
          'RSS KiB/client': collect(memory[kind] ?? [], (m) => m.perClientRss / 1024),
          'heap KiB/client': collect(memory[kind] ?? [], (m) => m.perClientHeap / 1024),
          'RSS x bare': kind === 'full' ? memMedian('full') / memMedian('bare') : '',
          'heap x bare': kind === 'full' ? heapMedian('full') / heapMedian('bare') : '',
        },
      })),
    },
    {
      title: `4. Connect storm: ${clients.toLocaleString('en-US')} clients at once (full stack: with JWTs)`,
      note: 'Live = handshake done and subscribed/joined (full: kpi:subscribe acked; bare: join acked; ws: open).',
      rows: kinds.map((kind) => {
        const runs = storm[kind] ?? [];
        const errors: Record<string, number> = {};
        for (const r of runs)
          for (const [reason, count] of Object.entries(r.errors)) errors[reason] = (errors[reason] ?? 0) + count;
        return {
          label: label(kind),
          figures: {
            'all live ms': collect(runs, (r) => r.allLiveMs),
            'p50 live ms': collect(runs, (r) => r.p50LiveMs),
            live: `${Math.min(...runs.map((r) => r.live))}/${clients}`,
            errors: Object.keys(errors).length === 0 ? '0' : JSON.stringify(errors),
          },
        };
      }),
    },
  ];
  const rssRatio = memMedian('full') / memMedian('bare');
  const heapRatio = heapMedian('full') / heapMedian('bare');
  const steadyP99 = spread((steady.full ?? []).map((r) => r.wait.latency.p99)).median;
  const checks: Check[] = [
    {
      target: 'idle memory per client: full stack <= 1.1x bare (RSS)',
      measured: `${fmt(rssRatio)}x`,
      met: rssRatio <= 1.1,
    },
    {
      target: 'idle memory per client: full stack <= 1.1x bare (heap)',
      measured: `${fmt(heapRatio)}x`,
      met: heapRatio <= 1.1,
    },
    {
      target: `steady stream ${clients} clients, one process: p99 < 100 ms`,
      measured: `${fmt(steadyP99, 1)} ms`,
      met: steadyP99 < 100,
    },
  ];
  return { tables, raw: { storm, memory, steady }, checks };
}

/**
 * Scenario 2b: the steady stream as the product routes it. Operations staff are spread over tenants
 * and modules, so an event goes to one tenant's module room, not to everyone: 10,000 clients in 100
 * rooms (50 tenants x 2 modules, 100 clients each), each client receiving `rate` events/s. The full
 * stack runs on one process and on two sharing rooms over Redis (both cores); the baselines route
 * the same way (bare: `io.to(room)`, raw ws: a set of sockets per room). Every setup runs at
 * every rate. Spread-out deliveries cost more per delivery than one burst to a big room: each
 * write wakes the receiving process on its own (the load side reports its context switches).
 */
export async function steadyRooms(scale: Scale): Promise<ScenarioResult> {
  const clients = scale.roomsClients;
  const rooms = scale.roomsCount;
  const redis = await startRedis();
  const all: { label: string; kind: ServerKind; servers: ServerConfig[] }[] = [
    { label: 'full stack, 1 process', kind: 'full', servers: [{ kind: 'full', conflationMs: false }] },
    {
      label: 'full stack, 2 processes + Redis',
      kind: 'full',
      servers: [
        { kind: 'full', conflationMs: false, redisUrl: redis.url },
        { kind: 'full', conflationMs: false, redisUrl: redis.url },
      ],
    },
    { label: SERVER_LABELS.bare, kind: 'bare', servers: [{ kind: 'bare' }] },
    { label: SERVER_LABELS.ws, kind: 'ws', servers: [{ kind: 'ws' }] },
  ];
  // Quick mode (CI, under two minutes) runs the full stack's two setups: every process start counts.
  const setups = scale.quick ? all.slice(0, 2) : all;
  type Measured = { wait: WaitReport; cpu: CpuReport[]; published: number };
  const raw: Record<string, Measured[]> = {};
  const tables: Table[] = [];
  const checks: Check[] = [];
  try {
    log(
      `steady across ${rooms} rooms, ${clients} clients: ${setups.map((setup) => setup.label).join(', ')}, interleaved`,
    );
    await withSetups(
      setups.map((setup) => ({ server: setup.servers, load: { kind: setup.kind, clients, rooms } })),
      async (running) => {
        for (const setup of running) await burst(setup.servers[0]?.child as Child, setup.load, 3, setup.connect.live);
        for (const rate of scale.roomsRates) {
          const measured = running.map((_, index) => index);
          for (let run = 0; run < scale.roomsRuns; run += 1) {
            for (const position of rotated(measured.length, run)) {
              const index = measured[position] as number;
              const setup = running[index] as Setup;
              const publisher = setup.servers[0]?.child as Child;
              await setup.load.request({ cmd: 'reset' });
              for (const server of setup.servers) await server.child.request({ cmd: 'cpuStart' });
              const { published } = await publisher.request<{ published: number }>(
                { cmd: 'rate', perSecond: rate * rooms, durationMs: scale.roomsMs, rooms },
                scale.roomsMs + 60_000,
              );
              const cpu = await Promise.all(setup.servers.map((s) => s.child.request<CpuReport>({ cmd: 'cpuStop' })));
              const wait = await setup.load.request<WaitReport>(
                { cmd: 'wait', expected: (published * setup.connect.live) / rooms, idleMs: 3_000 },
                90_000,
              );
              append(raw, `${rate}:${setups[index]?.label}`, { wait, cpu, published });
            }
          }
          const rows: Row[] = measured.map((index) => {
            const runs = raw[`${rate}:${setups[index]?.label}`] ?? [];
            const deliveries = (r: Measured) => r.wait.frames;
            const serverCpuMs = (r: Measured) => r.cpu.reduce((sum, c) => sum + c.cpuMs, 0);
            return {
              label: setups[index]?.label ?? '',
              figures: {
                'deliveries/s': collect(runs, (r) => (deliveries(r) / scale.roomsMs) * 1000),
                'p50 ms': collect(runs, (r) => r.wait.latency.p50),
                'p99 ms': collect(runs, (r) => r.wait.latency.p99),
                'max ms': collect(runs, (r) => r.wait.latency.max),
                'server CPU (cores, sum)': collect(runs, (r) => r.cpu.reduce((sum, c) => sum + c.cores, 0)),
                'server CPU µs/delivery': collect(runs, (r) => (serverCpuMs(r) * 1000) / Math.max(1, deliveries(r))),
                'load CPU (cores)': collect(runs, (r) => r.wait.load.cores),
                'load µs/delivery': collect(runs, (r) => (r.wait.load.cpuMs * 1000) / Math.max(1, deliveries(r))),
                'load switches/delivery': collect(runs, (r) => r.wait.load.switchesPerFrame),
                delivered: `${Math.min(...runs.map((r) => r.wait.frames))}/${Math.round(runs[0]?.wait.expected ?? 0)}`,
              },
            };
          });
          tables.push({
            title: `2b. Steady stream across rooms: ${clients.toLocaleString('en-US')} clients in ${rooms} tenant × module rooms, ${rate} events/s each, ${scale.roomsMs / 1000} s`,
            note:
              `${(rate * rooms).toLocaleString('en-US')} events/s in all, each to one room of ${Math.round(clients / rooms)} clients ` +
              `(${(rate * clients).toLocaleString('en-US')} deliveries/s). Two processes: clients of each room split evenly, publishes enter through process 1. ` +
              'The load process shares the 2 cores.',
            rows,
          });
          for (const [label, name] of [
            ['full stack, 1 process', 'one process'],
            ['full stack, 2 processes + Redis', 'both cores'],
          ] as const) {
            const p99 = spread((raw[`${rate}:${label}`] ?? []).map((r) => r.wait.latency.p99)).median;
            checks.push({
              target: `steady stream ${clients} clients in ${rooms} rooms, ${rate}/s each, ${name}: p99 < 100 ms`,
              measured: `${fmt(p99, 1)} ms`,
              met: p99 < 100,
            });
          }
        }
      },
    );
  } finally {
    await redis.stop();
  }
  return { tables, raw, checks };
}

/** Scenario 5: a hot KPI module, conflation on and off. */
export async function hotKpi(scale: Scale): Promise<ScenarioResult> {
  const clients = scale.hotClients;
  const configs: { label: string; server: ServerConfig; windowMs?: number }[] = [
    { label: 'full stack, conflation 50 ms', server: { kind: 'full', conflationMs: 50 }, windowMs: 50 },
    { label: 'full stack, no conflation', server: { kind: 'full', conflationMs: false } },
    { label: 'bare Socket.IO (reference)', server: { kind: 'bare' } },
  ];
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const frames: Record<string, number> = {};
  for (const config of configs) {
    log(`hot KPI, ${clients} clients, ${config.label}`);
    const runs = await withSetup(
      config.server,
      { kind: config.server.kind, clients },
      async ({ servers, load, connect }) => {
        const publisher = servers[0]?.child as Child;
        const results: { wait: WaitReport; published: number; cpu: CpuReport }[] = [];
        for (let run = 0; run < scale.runs; run += 1) {
          await load.request({ cmd: 'reset' });
          await publisher.request({ cmd: 'cpuStart' });
          // 1,000 updates/s over 20 KPI keys of the module, one KPI per update.
          const { published } = await publisher.request<{ published: number }>(
            { cmd: 'rate', perSecond: scale.hotPerSecond, durationMs: scale.hotMs, keys: 1, keySpace: 20 },
            scale.hotMs + 120_000,
          );
          const cpu = await publisher.request<CpuReport>({ cmd: 'cpuStop' });
          // Without conflation every update is a frame; wait for the backlog to drain, bounded in time
          // (what is still queued then counts as not delivered).
          const wait = await load.request<WaitReport>(
            {
              cmd: 'wait',
              expected: Number.POSITIVE_INFINITY,
              idleMs: 1_000,
              timeoutMs: scale.quick ? 10_000 : 30_000,
            },
            90_000,
          );
          results.push({ wait, published, cpu });
          void connect;
        }
        return results;
      },
    );
    raw[config.label] = runs;
    frames[config.label] = spread(runs.map((r) => r.wait.framesPerClient)).median;
    rows.push({
      label: config.label,
      figures: {
        'updates published': collect(runs, (r) => r.published),
        'frames/client': collect(runs, (r) => r.wait.framesPerClient),
        'staleness p50 ms': collect(runs, (r) => r.wait.latency.p50),
        'staleness p99 ms': collect(runs, (r) => r.wait.latency.p99),
        'publisher CPU (cores)': collect(runs, (r) => r.cpu.cores),
        'load CPU (cores)': collect(runs, (r) => r.wait.load.cores),
      },
    });
  }
  const on = frames[configs[0]?.label as string] ?? Number.NaN;
  const off = frames[configs[1]?.label as string] ?? Number.NaN;
  const first = rows[0];
  if (first) first.figures['x fewer frames'] = off / on;
  const onRuns = raw[configs[0]?.label as string] as { wait: WaitReport }[];
  const staleness = spread(onRuns.map((r) => r.wait.latency.p99)).median;
  const checks: Check[] = [
    { target: 'hot KPI: >= 5x fewer frames with conflation', measured: `${fmt(off / on, 1)}x`, met: off / on >= 5 },
    {
      target: 'hot KPI: staleness p99 <= window (50 ms) + 50 ms',
      measured: `${fmt(staleness, 1)} ms`,
      met: staleness <= 100,
    },
  ];
  return {
    checks,
    tables: [
      {
        title: `5. Hot KPI module: ${scale.hotPerSecond} updates/s for ${scale.hotMs / 1000} s to ${clients.toLocaleString('en-US')} clients`,
        note: 'Staleness = receive time - publish time of each KPI value delivered (values overwritten by conflation are never delivered).',
        rows,
      },
    ],
    raw,
  };
}

/** Scenario 6: the full stack's fan-out and steady stream on one process against two sharing rooms over Redis. */
export async function bothCores(scale: Scale): Promise<ScenarioResult> {
  const clients = scale.bothCoresClients;
  const events = scale.fanoutEvents(clients);
  const redis = await startRedis();
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  try {
    const setups: { label: string; servers: ServerConfig[] }[] = [
      { label: 'full stack, 1 process', servers: [{ kind: 'full', conflationMs: false }] },
      {
        label: 'full stack, 2 processes + Redis',
        servers: [
          { kind: 'full', conflationMs: false, redisUrl: redis.url },
          { kind: 'full', conflationMs: false, redisUrl: redis.url },
        ],
      },
    ];
    log(`both cores, ${clients} clients: ${setups.map((setup) => setup.label).join(' / ')}, interleaved`);
    const steadyMs = Math.min(scale.steadyMs, 5_000);
    const results = await withSetups(
      setups.map((setup) => ({ server: setup.servers, load: { kind: 'full' as const, clients } })),
      async (running) => {
        const out = running.map((setup) => ({
          connect: setup.connect,
          fan: [] as WaitReport[],
          steady: [] as { wait: WaitReport; cpu: CpuReport[] }[],
        }));
        for (const setup of running) await burst(setup.servers[0]?.child as Child, setup.load, 3, setup.connect.live);
        for (let run = 0; run < scale.runs; run += 1) {
          for (const index of rotated(running.length, run)) {
            const setup = running[index] as Setup;
            const publisher = setup.servers[0]?.child as Child;
            const result = out[index];
            if (!result) continue;
            result.fan.push(await burst(publisher, setup.load, events, setup.connect.live));
            await setup.load.request({ cmd: 'reset' });
            for (const s of setup.servers) await s.child.request({ cmd: 'cpuStart' });
            const { published } = await publisher.request<{ published: number }>(
              { cmd: 'rate', perSecond: scale.steadyPerSecond, durationMs: steadyMs },
              60_000,
            );
            const cpu = await Promise.all(setup.servers.map((s) => s.child.request<CpuReport>({ cmd: 'cpuStop' })));
            const wait = await setup.load.request<WaitReport>(
              { cmd: 'wait', expected: published * setup.connect.live },
              90_000,
            );
            result.steady.push({ wait, cpu });
          }
        }
        return out;
      },
    );
    for (const [index, setup] of setups.entries()) {
      const result = results[index];
      if (!result) continue;
      raw[setup.label] = result;
      rows.push({
        label: setup.label,
        figures: {
          'fan-out deliveries/s': collect(result.fan, (r) => r.deliveriesPerSecond),
          'fan-out p99 ms': collect(result.fan, (r) => r.latency.p99),
          'steady p50 ms': collect(result.steady, (r) => r.wait.latency.p50),
          'steady p99 ms': collect(result.steady, (r) => r.wait.latency.p99),
          'server CPU (cores, sum)': collect(result.steady, (r) => r.cpu.reduce((sum, c) => sum + c.cores, 0)),
          'load CPU (cores)': collect(result.steady, (r) => r.wait.load.cores),
          live: `${result.connect.live}/${clients}`,
        },
      });
    }
  } finally {
    await redis.stop();
  }
  const two = raw['full stack, 2 processes + Redis'] as { steady: { wait: WaitReport }[] } | undefined;
  const twoP99 = spread((two?.steady ?? []).map((r) => r.wait.latency.p99)).median;
  return {
    checks: [
      {
        target: `steady stream ${clients} clients, both cores: p99 < 100 ms`,
        measured: `${fmt(twoP99, 1)} ms`,
        met: twoP99 < 100,
      },
    ],
    tables: [
      {
        title: `6. Both cores: ${clients.toLocaleString('en-US')} clients, one server process against two sharing rooms over Redis`,
        note: `Fan-out: bursts of ${events} events; steady: ${scale.steadyPerSecond} events/s each for ${Math.min(scale.steadyMs, 5_000) / 1000} s. Publishes enter through process 1; clients are split evenly. The load process shares the same 2 cores.`,
        rows,
      },
    ],
    raw,
  };
}

/** Per-message deflate for large payloads, and the msgpack parser, on bare Socket.IO (the transport the full stack uses). */
export async function evaluation(scale: Scale): Promise<ScenarioResult> {
  const clients = scale.evaluationClients;
  const variants: { label: string; server: ServerConfig; load: Omit<LoadConfig, 'ports' | 'clients'>; keys: number }[] =
    [
      { label: 'JSON, 1 KPI (~330 B)', server: { kind: 'bare' }, load: { kind: 'bare' }, keys: 1 },
      {
        label: 'msgpack, 1 KPI',
        server: { kind: 'bare', parser: 'msgpack' },
        load: { kind: 'bare', parser: 'msgpack' },
        keys: 1,
      },
      { label: 'JSON, 50 KPIs (~12 KB)', server: { kind: 'bare' }, load: { kind: 'bare' }, keys: 50 },
      {
        label: 'JSON + deflate, 50 KPIs',
        server: { kind: 'bare', deflate: true },
        load: { kind: 'bare', deflate: true },
        keys: 50,
      },
      {
        label: 'msgpack, 50 KPIs',
        server: { kind: 'bare', parser: 'msgpack' },
        load: { kind: 'bare', parser: 'msgpack' },
        keys: 50,
      },
    ];
  const events = 20;
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  // Quick mode: the small payload only (JSON against msgpack); deflate matters for large ones.
  for (const variant of scale.quick ? variants.slice(0, 2) : variants) {
    log(`evaluation, ${clients} clients, ${variant.label}`);
    const runs = await withSetup(variant.server, { ...variant.load, clients }, async ({ servers, load, connect }) => {
      const publisher = servers[0]?.child as Child;
      await burst(publisher, load, 2, connect.live, variant.keys);
      const results: { wait: WaitReport; cpu: CpuReport }[] = [];
      for (let run = 0; run < scale.evaluationRuns; run += 1) {
        await publisher.request({ cmd: 'cpuStart' });
        const wait = await burst(publisher, load, events, connect.live, variant.keys);
        const cpu = await publisher.request<CpuReport>({ cmd: 'cpuStop' });
        results.push({ wait, cpu });
      }
      return results;
    });
    raw[variant.label] = runs;
    rows.push({
      label: variant.label,
      figures: {
        'deliveries/s': collect(runs, (r) => r.wait.deliveriesPerSecond),
        'p50 ms': collect(runs, (r) => r.wait.latency.p50),
        'p99 ms': collect(runs, (r) => r.wait.latency.p99),
        'server CPU ms': collect(runs, (r) => r.cpu.cpuMs),
        delivered: `${Math.min(...runs.map((r) => r.wait.frames))}/${runs[0]?.wait.expected ?? 0}`,
      },
    });
  }
  return {
    tables: [
      {
        title: `Evaluation: payload encoding on bare Socket.IO, ${clients.toLocaleString('en-US')} clients, bursts of ${events}`,
        note: 'Server CPU ms covers the burst and its delivery. Deflate compresses per socket (no shared context), msgpack needs a binary decoder in the browser.',
        rows,
      },
    ],
    raw,
  };
}
