import { RedisServer } from '@org/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess } from '../src/apiProcess.js';
import { SERVICE_KEY, sleep, waitFor } from '../src/env.js';
import { recordFigures } from '../src/figures.js';
import { http, isFor, notificationBody, type PublishedNotification, publishNotification } from '../src/http.js';
import { loopbackAddress } from '../src/net.js';
import { population, tenantIds } from '../src/population.js';
import { PostgresServer } from '../src/postgres.js';
import { StreamClient } from '../src/streamClient.js';
import { mintToken } from '../src/tokens.js';

const PER_NODE = 12;
const tenants = tenantIds(1);
const people = population(PER_NODE * 2, tenants, 'redis');

describe('Redis stopped and restarted under two API processes', () => {
  const redis = new RedisServer();
  // The nodes share one database, as any deployment of several API processes does: a client's
  // REST refetch on one node must find what the other persisted.
  const pg = new PostgresServer();
  let a: ApiProcess;
  let b: ApiProcess;
  const onA: StreamClient[] = [];
  const onB: StreamClient[] = [];
  const published: PublishedNotification[] = [];

  beforeAll(async () => {
    await redis.start();
    await pg.init();
    pg.start();
    a = new ApiProcess({ name: 'redis-api-a', env: { REDIS_URL: redis.url, DATABASE_URL: pg.url } });
    b = new ApiProcess({ name: 'redis-api-b', env: { REDIS_URL: redis.url, DATABASE_URL: pg.url } });
    await Promise.all([a.start(), b.start()]);
    for (const [i, person] of people.entries()) {
      const node = i % 2 === 0 ? a : b;
      const client = new StreamClient({
        url: node.url,
        identity: person,
        token: await mintToken(person),
        module: person.module,
        localAddress: loopbackAddress(300 + i),
      });
      (node === a ? onA : onB).push(client);
    }
    await Promise.all([...onA, ...onB].map((c) => c.ready()));
  });

  afterAll(async () => {
    for (const client of [...onA, ...onB]) client.close();
    await Promise.all([a?.dispose(), b?.dispose()]);
    await redis.kill();
    pg.dispose();
  });

  const tenantWide = async (node: ApiProcess, title: string) => {
    const result = await publishNotification(() => node.url, tenants[0] as string, { kind: 'tenant' }, title);
    if (!result) {
      const again = await http(node.url, 'POST', '/api/events', {
        headers: { 'x-service-key': SERVICE_KEY },
        body: notificationBody(tenants[0] as string, { kind: 'tenant' }, title),
      });
      throw new Error(
        `${title} not accepted (again: ${again.status} ${JSON.stringify(again.body)}); ${node.name}: ${node.output.slice(-5).join('\n')}`,
      );
    }
    published.push(result);
    return result;
  };
  const receivedBy = (clients: StreamClient[], id: string) => clients.filter((c) => c.notifications.has(id)).length;

  it('keeps serving each node’s own clients, crashes nothing, and resumes cross-node delivery', async () => {
    // Healthy: a publish on A reaches B's clients too.
    const healthy = await tenantWide(a, 'healthy');
    await waitFor(() => receivedBy([...onA, ...onB], healthy.id) === PER_NODE * 2, 'cross-node delivery (healthy)');

    await redis.kill();
    const downAt = Date.now();
    await sleep(500);
    // Redis down: each node accepts publishes and delivers to its own sockets.
    const localA = await tenantWide(a, 'redis down, via A');
    const localB = await tenantWide(b, 'redis down, via B');
    let localDelivery = true;
    try {
      await waitFor(
        () => receivedBy(onA, localA.id) === PER_NODE && receivedBy(onB, localB.id) === PER_NODE,
        'local delivery while Redis is down',
        8_000,
      );
    } catch {
      localDelivery = false;
    }
    const localAtOutage = { a: receivedBy(onA, localA.id), b: receivedBy(onB, localB.id) };
    // New connections to each node while Redis is down.
    const late = people[0];
    let lateConnected = false;
    if (late) {
      const lateClient = new StreamClient({
        url: a.url,
        identity: { ...late, userId: 'redis-late' },
        token: await mintToken({ ...late, userId: 'redis-late' }),
        localAddress: loopbackAddress(399),
        reconnection: false,
      });
      lateConnected = await lateClient
        .ready(8_000)
        .then(() => true)
        .catch(() => false);
      lateClient.close();
    }
    const health = await Promise.all([http(a.url, 'GET', '/healthz'), http(b.url, 'GET', '/healthz')]);
    const redisDownMs = Date.now() - downAt;

    await redis.start();
    // Cross-node delivery comes back without restarting anything.
    let crossAfter: PublishedNotification | undefined;
    let resumedAfterMs = -1;
    const upAt = Date.now();
    await waitFor(
      async () => {
        crossAfter = await tenantWide(a, `after redis #${published.length}`);
        await sleep(500);
        return receivedBy(onB, crossAfter.id) === PER_NODE;
      },
      'cross-node delivery after Redis is back',
      60_000,
      0,
    ).then(() => {
      resumedAfterMs = Date.now() - upAt;
    });
    await sleep(1000);
    await Promise.all([...onA, ...onB].map((c) => c.settled()));
    // Everything published reaches everyone in the end (live, replay or resync).
    let lost = 0;
    const lostExamples: string[] = [];
    for (const client of [...onA, ...onB]) {
      for (const p of published) {
        if (isFor(p, client.identity) && !client.notifications.has(p.id)) {
          lost += 1;
          if (lostExamples.length < 6) {
            lostExamples.push(
              `${client.identity.userId} on ${onA.includes(client) ? 'A' : 'B'} missed "${p.title}"; log: ${client.log.slice(-8).join(' | ')}`,
            );
          }
        }
      }
    }
    if (lostExamples.length > 0) console.log(`lost in the outage:\n  ${lostExamples.join('\n  ')}`);
    recordFigures('3 redis outage', {
      nodes: 2,
      clients: PER_NODE * 2,
      redisDownMs,
      localDeliveryWhileDown: `${localAtOutage.a + localAtOutage.b}/${PER_NODE * 2}`,
      newConnectionWhileDown: lateConnected,
      crossNodeResumedAfterMs: resumedAfterMs,
      published: published.length,
      lostInTheEnd: lost,
      crashes: a.crashes.length + b.crashes.length,
    });
    expect(a.crashes).toEqual([]);
    expect(b.crashes).toEqual([]);
    expect(health.map((h) => h.status)).toEqual([200, 200]);
    expect(lateConnected).toBe(true);
    expect(localAtOutage).toEqual({ a: PER_NODE, b: PER_NODE });
    expect(localDelivery).toBe(true);
    expect(resumedAfterMs).toBeGreaterThanOrEqual(0);
    expect(lost).toBe(0);
  });
});
