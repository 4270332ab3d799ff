import { PROTOCOL_VERSION } from '@org/contracts';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, type ProbeReport } from '../src/apiProcess.js';
import { scale, sleep } from '../src/env.js';
import { recordFigures } from '../src/figures.js';
import { loopbackAddress } from '../src/net.js';
import { population, tenantIds } from '../src/population.js';
import { mintToken } from '../src/tokens.js';

const CYCLES = scale(1_500, 50_000);
const WARMUP = 400;
/** Source addresses: the server allows 120 connection attempts per address per minute. */
const ADDRESSES = scale(200, 800);
const CONCURRENCY = 40;
const people = population(60, tenantIds(3), 'churn');

describe(`churn: ${CYCLES} connect/disconnect cycles`, () => {
  const api = new ApiProcess({ name: 'churn-api', probe: true });
  let tokens: string[] = [];

  beforeAll(async () => {
    await api.start();
    tokens = await Promise.all(people.map((p) => mintToken(p)));
  });

  afterAll(async () => {
    await api.dispose();
  });

  /** One cycle: connect, subscribe to a module and the dashboard, disconnect. */
  const cycle = (i: number) =>
    new Promise<'ok' | 'refused'>((resolve) => {
      const person = people[i % people.length];
      const socket = io(api.url, {
        auth: { token: tokens[i % tokens.length], protocol: PROTOCOL_VERSION },
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        timeout: 10_000,
        localAddress: loopbackAddress(1000 + (i % ADDRESSES)),
      } as Parameters<typeof io>[1]);
      const done = (outcome: 'ok' | 'refused') => {
        socket.disconnect();
        socket.removeAllListeners();
        resolve(outcome);
      };
      socket.once('connect_error', () => done('refused'));
      socket.once('session:ready' as never, async () => {
        try {
          await socket.timeout(10_000).emitWithAck('kpi:subscribe', { module: person?.module });
          await socket.timeout(10_000).emitWithAck('dashboard:subscribe', {});
          done('ok');
        } catch {
          done('refused');
        }
      });
    });

  async function run(count: number, offset: number) {
    let next = 0;
    let ok = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const i = offset + next++;
          if ((await cycle(i)) === 'ok') ok += 1;
          else refused += 1;
        }
      }),
    );
    return { ok, refused };
  }

  async function settledProbe(): Promise<ProbeReport> {
    // Disconnects finish asynchronously on the server; wait until no socket is left (bounded).
    let report = await api.probe();
    for (let i = 0; i < 50 && (report.sockets > 0 || report.engineClients > 0); i += 1) {
      await sleep(200);
      report = await api.probe();
    }
    return report;
  }

  it('leaks no rooms, listeners, timers or memory', async () => {
    // Warm-up touches every source address and code path once, so the baseline holds the
    // steady-state caches (per-address limiter entries, JIT code).
    await run(Math.max(WARMUP, ADDRESSES), 0);
    await sleep(1000);
    const start = await settledProbe();
    const started = Date.now();
    const { ok, refused } = await run(CYCLES, 100_000);
    const elapsedMs = Date.now() - started;
    await sleep(1000);
    const end = await settledProbe();
    const heapGrowth = (end.heapUsed - start.heapUsed) / start.heapUsed;
    recordFigures('6 churn', {
      cycles: CYCLES,
      ok,
      refused,
      cyclesPerSecond: Math.round((ok + refused) / (elapsedMs / 1000)),
      heapStartMB: (start.heapUsed / 2 ** 20).toFixed(1),
      heapEndMB: (end.heapUsed / 2 ** 20).toFixed(1),
      heapGrowthPct: (heapGrowth * 100).toFixed(1),
      rooms: `${start.rooms}->${end.rooms}`,
      listeners: `${start.listeners}->${end.listeners}`,
      timers: `${start.timers}->${end.timers}`,
      sockets: end.sockets,
    });
    expect(start.gcExposed).toBe(true);
    expect(ok).toBe(CYCLES);
    expect(end.sockets).toBe(0);
    expect(end.engineClients).toBe(0);
    expect(end.rooms).toBe(0);
    expect(end.sids).toBe(0);
    expect(end.listeners).toBeLessThanOrEqual(start.listeners);
    expect(end.timers).toBeLessThanOrEqual(start.timers);
    expect(heapGrowth).toBeLessThan(0.1);
    expect(api.crashes).toEqual([]);
  });
});
