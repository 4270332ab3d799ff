import { PROTOCOL_VERSION } from '@org/contracts';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess } from '../src/apiProcess.js';
import { scale, sleep } from '../src/env.js';
import { recordFigures } from '../src/figures.js';
import { errorCodeOf, postFrom, publishNotification } from '../src/http.js';
import { LegitClients } from '../src/legitClients.js';
import { loopbackAddress } from '../src/net.js';
import { percentile } from '../src/population.js';
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

describe('floods: per-socket events, connections from one address, login brute force', () => {
  const api = new ApiProcess({ name: 'flood-api', probe: true });
  // In a process of their own: pings and deliveries timed there are not slowed by the flooders.
  const legit = new LegitClients();
  const published: string[] = [];
  let phase = 'baseline';
  const loopByPhase: Record<string, string> = {};
  /** Closes the current phase's server event-loop figures and starts the next phase. */
  const enterPhase = async (next: string) => {
    const delay = await api.loopDelay();
    loopByPhase[phase] = `${delay.p50}/${delay.p99}/${delay.max}`;
    phase = next;
    await legit.phase(next);
  };
  let measuring = true;
  let measureLoop: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    await api.start();
    const people = await Promise.all(
      legitPeople.map(async (identity) => ({ identity, token: await mintToken(identity) })),
    );
    await legit.start(api.url, people, 7000);
    await api.loopDelay(); // the baseline starts now, not at the server's start
    // Legitimate traffic the whole time: the child pings; a notification to all of them from here.
    measureLoop = (async () => {
      for (let round = 0; round < 100_000 && measuring; round += 1) {
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
    legit.kill();
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
    const report = await legit.stop();
    const missing = report.notifications.reduce(
      (sum, received) => sum + published.filter((id) => !received.includes(id)).length,
      0,
    );
    const pings = Object.values(report.pingsByPhase).flat();
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
      clients: legitPeople.length,
      pings: pings.length,
      failedPings: report.failures,
      notificationsMissing: missing,
      stillConnected: report.connected,
      pingMsP50P99: Object.entries(report.pingsByPhase)
        .map(([p, v]) => `${p} ${figure(v)}`)
        .join('; '),
      deliveryMsP50P99: Object.entries(report.deliveryByPhase)
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
    expect(report.failures).toBe(0);
    expect(missing).toBe(0);
    expect(report.connected).toBe(legitPeople.length);
    expect(api.crashes).toEqual([]);
  });
});
