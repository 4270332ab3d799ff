import { PROTOCOL_VERSION } from '@org/contracts';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess } from '../src/apiProcess.js';
import { scale, sleep } from '../src/env.js';
import { recordFigures } from '../src/figures.js';
import { errorCodeOf, postFrom, publishNotification } from '../src/http.js';
import { loopbackAddress } from '../src/net.js';
import { percentile } from '../src/population.js';
import { StreamClient } from '../src/streamClient.js';
import { mintToken } from '../src/tokens.js';

const FLOODERS = scale(5, 20);
const FLOOD_EVENTS = 2_000;
const CONNECTION_FLOOD = scale(300, 1_000);
const LOGIN_ATTEMPTS = scale(150, 500);
const legitPeople = Array.from({ length: 10 }, (_, i) => ({
  userId: `legit-${i}`,
  tenantId: 'flood-legit',
  roles: ['ADMIN' as const],
}));

type Ack = { ok: boolean; error?: { code: string } };

function addTo(byPhase: Record<string, number[]>, phase: string, value: number): void {
  const values = byPhase[phase] ?? [];
  values.push(value);
  byPhase[phase] = values;
}

describe('floods: per-socket events, connections from one address, login brute force', () => {
  const api = new ApiProcess({ name: 'flood-api', probe: true });
  const legit: StreamClient[] = [];
  const pings: number[] = [];
  const deliveries: number[] = [];
  const published: string[] = [];
  let phase = 'baseline';
  const loopByPhase: Record<string, string> = {};
  /** Closes the current phase's server event-loop figures and starts the next phase. */
  const enterPhase = async (next: string) => {
    const delay = await api.loopDelay();
    loopByPhase[phase] = `${delay.p50}/${delay.p99}/${delay.max}`;
    phase = next;
  };
  const pingsByPhase: Record<string, number[]> = {};
  const deliveryByPhase: Record<string, number[]> = {};
  let measuring = true;
  let measureLoop: Promise<void> = Promise.resolve();
  let failures = 0;

  beforeAll(async () => {
    await api.start();
    for (const [i, person] of legitPeople.entries()) {
      const client = new StreamClient({
        url: api.url,
        identity: person,
        token: await mintToken(person),
        localAddress: loopbackAddress(7000 + i),
        reconnection: false,
      });
      legit.push(client);
      client.socket.on('notification:new', (envelope: { ts: number }) => {
        const latency = Date.now() - envelope.ts;
        deliveries.push(latency);
        addTo(deliveryByPhase, phase, latency);
      });
    }
    await Promise.all(legit.map((c) => c.ready()));
    await api.loopDelay(); // the baseline starts now, not at the server's start
    // Legitimate traffic the whole time: pings from every client, a notification to all of them.
    measureLoop = (async () => {
      for (let round = 0; round < 100_000 && measuring; round += 1) {
        await Promise.all(
          legit.map(async (client) => {
            const sent = Date.now();
            try {
              const ack = (await client.socket.timeout(5000).emitWithAck('ping', { clientTime: sent })) as Ack;
              if (!ack.ok) failures += 1;
              const rtt = Date.now() - sent;
              pings.push(rtt);
              addTo(pingsByPhase, phase, rtt);
            } catch {
              failures += 1;
            }
          }),
        );
        const n = await publishNotification(() => api.url, 'flood-legit', { kind: 'tenant' }, `legit ${round}`);
        if (n) published.push(n.id);
        await sleep(200);
      }
    })();
    await sleep(2000);
  });

  afterAll(async () => {
    measuring = false;
    await measureLoop;
    for (const client of legit) client.close();
    await api.dispose();
  });

  it('limits a socket that floods requests, then ends its session', async () => {
    await enterPhase('event flood');
    const token = await mintToken({ userId: 'flooder', tenantId: 'flood-attack', roles: ['ADMIN'] });
    const outcomes = await Promise.all(
      Array.from({ length: FLOODERS }, async (_, f) => {
        const socket: Socket = io(api.url, {
          auth: { token, protocol: PROTOCOL_VERSION },
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          localAddress: loopbackAddress(7100 + f),
        } as Parameters<typeof io>[1]);
        await new Promise<void>((resolve) => socket.once('session:ready', () => resolve()));
        let ended = '';
        socket.on('session:ended', (envelope: { data: { code: string } }) => {
          ended = envelope.data.code;
        });
        const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
        let ok = 0;
        let limited = 0;
        let sent = 0;
        for (let i = 0; i < FLOOD_EVENTS && socket.connected; i += 1) {
          sent += 1;
          socket.emit('ping', { clientTime: i }, (ack: Ack) => {
            if (ack.ok) ok += 1;
            else if (ack.error?.code === 'RATE_LIMITED') limited += 1;
          });
          if (i % 50 === 0) await sleep(1);
        }
        await Promise.race([closed, sleep(10_000)]);
        const disconnected = !socket.connected;
        socket.disconnect();
        return { sent, ok, limited, ended, disconnected };
      }),
    );
    recordFigures('floods: per-socket events', {
      flooders: FLOODERS,
      sentBeforeCut: outcomes.reduce((s, o) => s + o.sent, 0),
      answeredOk: outcomes.reduce((s, o) => s + o.ok, 0),
      rateLimited: outcomes.reduce((s, o) => s + o.limited, 0),
      sessionsEnded: outcomes.filter((o) => o.ended === 'RATE_LIMITED' && o.disconnected).length,
    });
    for (const outcome of outcomes) {
      // Limited: by RATE_LIMITED answers, or (a socket with too many requests in flight) at once by
      // ending the session before its answers go out.
      expect(outcome.ok).toBeLessThanOrEqual(20 + 40 + 20);
      expect(outcome.ended).toBe('RATE_LIMITED');
      expect(outcome.disconnected).toBe(true);
    }
  });

  it('refuses a connection flood from one address past its budget', async () => {
    await enterPhase('connection flood');
    const token = await mintToken({ userId: 'conn-flooder', tenantId: 'flood-attack', roles: ['SUPPORT_AGENT'] });
    const results: string[] = [];
    const sockets: Socket[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < CONNECTION_FLOOD) {
          next += 1;
          const socket: Socket = io(api.url, {
            auth: { token, protocol: PROTOCOL_VERSION },
            transports: ['websocket'],
            forceNew: true,
            reconnection: false,
            localAddress: '127.0.99.99',
          } as Parameters<typeof io>[1]);
          sockets.push(socket);
          results.push(
            await new Promise<string>((resolve) => {
              socket.once('session:ready', () => resolve('accepted'));
              socket.once('connect_error', (error: Error & { data?: { code?: string } }) =>
                resolve(error.data?.code ?? 'error'),
              );
            }),
          );
        }
      }),
    );
    for (const socket of sockets) socket.disconnect();
    const accepted = results.filter((r) => r === 'accepted').length;
    const limited = results.filter((r) => r === 'RATE_LIMITED').length;
    recordFigures('floods: connections from one address', {
      attempts: results.length,
      accepted,
      refusedRateLimited: limited,
    });
    expect(accepted).toBeLessThanOrEqual(120);
    expect(limited).toBe(results.length - accepted);
    expect(limited).toBeGreaterThan(0);
  });

  it('locks out a login brute force while another address signs in', async () => {
    await enterPhase('login brute force');
    const url = `${api.url}/api/auth/login`;
    const statuses: Record<string, number> = {};
    for (let i = 0; i < LOGIN_ATTEMPTS; i += 1) {
      const result = await postFrom('127.0.88.88', url, { username: 'admin@acme-lending', password: `guess-${i}` });
      const key = `${result.status}:${errorCodeOf(result.body) ?? ''}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    const rightPasswordFromAttacker = await postFrom('127.0.88.88', url, {
      username: 'admin@acme-lending',
      password: 'demo1234',
    });
    const legitimate = await postFrom('127.0.88.89', url, { username: 'admin@acme-lending', password: 'demo1234' });
    await enterPhase('after');
    await sleep(2000);
    measuring = false;
    await measureLoop;
    await sleep(500);
    await enterPhase('done');
    const missing = legit.reduce(
      (sum, client) => sum + published.filter((id) => !client.notifications.has(id)).length,
      0,
    );
    const figure = (values: number[] | undefined) => `${percentile(values ?? [], 50)}/${percentile(values ?? [], 99)}`;
    recordFigures('floods: login brute force', {
      attempts: LOGIN_ATTEMPTS,
      statuses: Object.entries(statuses)
        .map(([k, n]) => `${k} x${n}`)
        .join(' '),
      rightPasswordFromAttacker: rightPasswordFromAttacker.status,
      legitimateSignIn: legitimate.status,
    });
    recordFigures('floods: legitimate clients', {
      clients: legit.length,
      pings: pings.length,
      failedPings: failures,
      notificationsMissing: missing,
      stillConnected: legit.filter((c) => c.connected).length,
      pingMsP50P99: Object.entries(pingsByPhase)
        .map(([p, v]) => `${p} ${figure(v)}`)
        .join('; '),
      deliveryMsP50P99: Object.entries(deliveryByPhase)
        .map(([p, v]) => `${p} ${figure(v)}`)
        .join('; '),
      serverLoopDelayMsP50P99Max: Object.entries(loopByPhase)
        .map(([p, v]) => `${p} ${v}`)
        .join('; '),
    });
    expect(statuses['401:UNAUTHORIZED']).toBe(10);
    expect(statuses['429:RATE_LIMITED']).toBe(LOGIN_ATTEMPTS - 10);
    expect(rightPasswordFromAttacker.status).toBe(429);
    expect(legitimate.status).toBe(200);
    expect(failures).toBe(0);
    expect(missing).toBe(0);
    expect(legit.every((c) => c.connected)).toBe(true);
    expect(api.crashes).toEqual([]);
  });
});
