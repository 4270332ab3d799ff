import type { Audience, Module } from '@org/contracts';
import { freePort } from '@org/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess } from '../src/apiProcess.js';
import { FULL, SERVICE_KEY, scale, sleep, waitFor } from '../src/env.js';
import { recordFigures } from '../src/figures.js';
import { http, isFor, type PublishedNotification, publishNotification } from '../src/http.js';
import { loopbackAddress } from '../src/net.js';
import { busiestSecondShare, population, tenantIds } from '../src/population.js';
import { StreamClient } from '../src/streamClient.js';
import { mintToken } from '../src/tokens.js';
import { TrackedRealtimeClient } from '../src/trackedRealtimeClient.js';

const TOTAL = scale(120, 1000);
const REALTIME_CLIENTS = 50;
const BEFORE = scale(30, 120);
/** Notifications each of 10 publisher lanes submits around the outage. */
const PER_LANE = scale(20, 40);
const tenants = tenantIds(2);
const people = population(TOTAL, tenants);

function kpiBody(tenantId: string, module: Module, value: number) {
  return {
    event: 'kpi:update',
    data: {
      tenantId,
      module,
      kpis: [
        {
          key: `${module}_fault_gauge`,
          module,
          label: 'Fault gauge',
          value,
          unit: 'count',
          change: null,
          updatedAt: new Date().toISOString(),
        },
      ],
    },
  };
}

/** Which kind of client, its last errors and (raw clients) the last lines of its story: for failure messages. */
function clientStory(client: StreamClient | TrackedRealtimeClient, logLines: number): string {
  const errors = `errors [${client.errors.slice(-3).join('; ')}]`;
  return client instanceof StreamClient
    ? `raw, ${errors}, log [${client.log.slice(-logLines).join('; ')}]`
    : `RealtimeClient, ${errors}`;
}

describe(`API process restart under ${TOTAL} streaming clients`, () => {
  const api = new ApiProcess({ name: 'restart-api' });
  const raw: StreamClient[] = [];
  const realtime: TrackedRealtimeClient[] = [];
  const published: PublishedNotification[] = [];
  let publishing = true;

  beforeAll(async () => {
    api.port = await freePort();
    await api.start();
  });

  afterAll(async () => {
    publishing = false;
    for (const client of raw) client.close();
    for (const client of realtime) client.close();
    await api.dispose();
  });

  it('reconnects everyone with jitter, loses nothing, duplicates nothing, resyncs KPIs', async () => {
    const modules = [...new Set(people.map((p) => p.module))];
    for (const [i, person] of people.entries()) {
      const token = await mintToken(person);
      const options = {
        url: api.url,
        identity: person,
        token,
        module: person.module,
        localAddress: loopbackAddress(i % 100),
      };
      // The RealtimeClient as it ships: its default backoff.
      if (i < REALTIME_CLIENTS) realtime.push(new TrackedRealtimeClient({ ...options, backoff: 'default' }));
      else raw.push(new StreamClient(options));
    }
    for (const client of realtime) client.start();
    await Promise.all(raw.map((client) => client.ready()));
    await waitFor(() => realtime.every((client) => client.status === 'live'), 'realtime clients live', 30_000);

    const audiences = (n: number): [string, Audience] => {
      const tenantId = tenants[n % tenants.length] as string;
      const kind = n % 3;
      if (kind === 0) return [tenantId, { kind: 'tenant' }];
      if (kind === 1) return [tenantId, { kind: 'role', role: people[n % 6]?.roles[0] ?? 'ADMIN' }];
      const person = people.filter((p) => p.tenantId === tenantId)[n % 17] ?? people[0];
      return [tenantId, { kind: 'user', userId: person?.userId ?? 'u0' }];
    };
    let n = 0;
    const publishOne = async (retryUntil: number) => {
      const [tenantId, audience] = audiences(n++);
      const result = await publishNotification(() => api.url, tenantId, audience, `restart #${n}`, { retryUntil });
      if (result) published.push(result);
    };
    let kpiValue = 0;
    const publishKpis = async () => {
      kpiValue += 1;
      for (const tenantId of tenants) {
        for (const module of modules) {
          await http(api.url, 'POST', '/api/events', {
            headers: { 'x-service-key': SERVICE_KEY },
            body: kpiBody(tenantId, module, kpiValue),
          });
        }
      }
    };

    // Before the outage.
    for (let i = 0; i < BEFORE; i += 1) await publishOne(Date.now());
    await publishKpis();

    // Outage: publishers keep submitting (and retrying) while the API restarts.
    const lanes = Array.from({ length: 10 }, async () => {
      for (let i = 0; i < PER_LANE && publishing; i += 1) {
        await publishOne(Date.now() + 60_000);
        await sleep(50);
      }
    });
    await sleep(300);
    const downAt = Date.now();
    await api.stop();
    await sleep(2000);
    await api.start();
    const upAt = Date.now();
    await Promise.all(lanes);
    await publishKpis();

    await waitFor(
      () => raw.every((c) => c.connected && c.readyAt.length >= 2),
      () =>
        `raw clients to reconnect (${raw.filter((c) => c.connected && c.readyAt.length >= 2).length}/${raw.length})`,
      60_000,
    );
    await waitFor(
      () => realtime.every((c) => c.status === 'live' && c.liveAt.length >= 2),
      () =>
        `realtime clients live again (${realtime.filter((c) => c.status === 'live' && c.liveAt.length >= 2).length}/${realtime.length})`,
      60_000,
    );
    // Let replays, REST resyncs and the last KPI frame settle.
    await sleep(1500);
    await Promise.all([...raw.map((c) => c.settled()), ...realtime.map((c) => c.settled())]);

    // Figures.
    // Reconnect times of the whole crowd (the criterion), and of the RealtimeClients alone
    // (the raw clients use socket.io-client's default backoff, which clamps after jittering).
    const crowd = busiestSecondShare([
      ...raw.map((c) => c.readyAt[1] as number),
      ...realtime.map((c) => c.liveAt[1] as number),
    ]);
    const spread = busiestSecondShare(realtime.map((c) => c.liveAt[1] as number));
    let lost = 0;
    let extra = 0;
    // Raw clients see what the wire carries (a replay may overlap a live frame; the envelope id
    // makes it idempotent); the RealtimeClient's listeners see what it applies.
    let wireDuplicates = 0;
    let appliedDuplicates = 0;
    let foreign = 0;
    const examples: string[] = [];
    let viaLive = 0;
    let viaReplay = 0;
    let viaRest = 0;
    for (const client of [...raw, ...realtime]) {
      const expected = published.filter((p) => isFor(p, client.identity)).map((p) => p.id);
      for (const id of expected) {
        if (!client.notifications.has(id)) {
          lost += 1;
          if (examples.length < 5) {
            const missed = published.find((p) => p.id === id);
            const title = `${missed?.title} (accepted ${new Date(missed?.acceptedAt ?? 0).toISOString().slice(11, 23)}, ${missed?.audience.kind})`;
            examples.push(`${client.identity.userId} missed ${title} (${clientStory(client, 4)})`);
          }
        }
      }
      const expectedSet = new Set(expected);
      for (const id of client.notifications.keys()) if (!expectedSet.has(id)) extra += 1;
      if (client instanceof StreamClient) wireDuplicates += client.duplicateDeliveries();
      else appliedDuplicates += client.duplicateDeliveries();
      foreign += client.foreign.length;
      for (const how of client.notifications.values()) {
        if (how === 'live') viaLive += 1;
        else if (how === 'replay') viaReplay += 1;
        else viaRest += 1;
      }
    }
    // KPI values: every client ends with the latest value of its module's gauge.
    let kpiStale = 0;
    const staleExamples: string[] = [];
    for (const client of [...raw, ...realtime]) {
      const module = people.find((p) => p.userId === client.identity.userId)?.module;
      const value = client.kpis.get(`${module}_fault_gauge`);
      if (value === kpiValue) continue;
      kpiStale += 1;
      if (staleExamples.length < 5) {
        staleExamples.push(
          `${client.identity.userId} ${module}: ${value} instead of ${kpiValue}, ${clientStory(client, 2)}`,
        );
      }
    }
    const statusPaths = realtime.map((c) => c.statuses.join('>'));
    const wentDown = realtime.filter((c) => {
      const firstLive = c.statuses.indexOf('live');
      const down = c.statuses.findIndex((s, i) => i > firstLive && (s === 'polling' || s === 'offline'));
      return firstLive >= 0 && down > firstLive && c.statuses.lastIndexOf('live') > down;
    }).length;

    recordFigures('1 restart', {
      clients: TOTAL,
      realtimeClients: REALTIME_CLIENTS,
      notificationsAccepted: published.length,
      outageMs: upAt - downAt,
      reconnectSpreadMs: crowd.spreadMs,
      busiestSecondRealtimeClient: spread.share.toFixed(2),
      busiestSecondAllClients: crowd.share.toFixed(2),
      viaLive,
      viaReplay,
      viaRest,
      lost,
      extra,
      wireDuplicatesDeduped: wireDuplicates,
      appliedDuplicates,
      foreign,
      kpiStale,
      statusLiveDownLive: `${wentDown}/${REALTIME_CLIENTS}`,
      crashes: api.crashes.length,
    });
    if (lost > 0) {
      console.log(`restart: lost examples:\n  ${examples.join('\n  ')}`);
      const first = [...raw, ...realtime].find((client) =>
        published.some((p) => isFor(p, client.identity) && !client.notifications.has(p.id)),
      );
      if (first instanceof StreamClient)
        console.log(`restart: ${first.identity.userId}'s log:\n  ${first.log.join('\n  ')}`);
    }
    if (!FULL) console.log(`restart: status paths e.g. ${statusPaths.slice(0, 3).join(' | ')}`);

    expect(api.crashes).toEqual([]);
    expect(crowd.share).toBeLessThan(0.5);
    expect(foreign).toBe(0);
    expect(appliedDuplicates).toBe(0);
    expect(extra).toBe(0);
    expect({ lost, examples }).toEqual({ lost: 0, examples: [] });
    expect({ kpiStale, staleExamples }).toEqual({ kpiStale: 0, staleExamples: [] });
    expect(wentDown).toBe(REALTIME_CLIENTS);
  });
});
