// Legitimate clients in a process of their own, away from the process that floods the API, so
// that the latency they report is the server's doing, not their neighbour's. Driven over IPC by
// `LegitClients` (below, in the test's process).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loopbackAddress } from './net.js';
import { StreamClient } from './streamClient.js';
import type { Identity } from './tokens.js';

type Command =
  | { type: 'start'; url: string; people: { identity: Identity; token: string }[]; firstAddress: number }
  | { type: 'phase'; phase: string }
  | { type: 'stop' };

export type LegitReport = {
  pingsByPhase: Record<string, number[]>;
  deliveryByPhase: Record<string, number[]>;
  failures: number;
  /** Notification ids each client received, in client order. */
  notifications: string[][];
  connected: number;
};

function addTo(byPhase: Record<string, number[]>, phase: string, value: number): void {
  const values = byPhase[phase] ?? [];
  values.push(value);
  byPhase[phase] = values;
}

/** The child: pings from every client every 200 ms, and the latency of every notification. */
async function runChild(): Promise<void> {
  const clients: StreamClient[] = [];
  const report: LegitReport = { pingsByPhase: {}, deliveryByPhase: {}, failures: 0, notifications: [], connected: 0 };
  let phase = 'baseline';
  let measuring = true;
  let loop: Promise<void> = Promise.resolve();
  const send = (message: object) => process.send?.(message);

  process.on('message', async (command: Command) => {
    if (command.type === 'start') {
      for (const [index, person] of command.people.entries()) {
        const client = new StreamClient({
          url: command.url,
          identity: person.identity,
          token: person.token,
          localAddress: loopbackAddress(command.firstAddress + index),
          reconnection: false,
        });
        client.socket.on('notification:new', (envelope: { ts: number }) =>
          addTo(report.deliveryByPhase, phase, Date.now() - envelope.ts),
        );
        clients.push(client);
      }
      await Promise.all(clients.map((client) => client.ready()));
      loop = (async () => {
        while (measuring) {
          await Promise.all(
            clients.map(async (client) => {
              const sent = Date.now();
              try {
                const ack = (await client.socket.timeout(5000).emitWithAck('ping', { clientTime: sent })) as {
                  ok: boolean;
                };
                if (!ack.ok) report.failures += 1;
                addTo(report.pingsByPhase, phase, Date.now() - sent);
              } catch {
                report.failures += 1;
              }
            }),
          );
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      send({ type: 'ready' });
    } else if (command.type === 'phase') {
      phase = command.phase;
      send({ type: 'phase' });
    } else if (command.type === 'stop') {
      measuring = false;
      await loop;
      report.notifications = clients.map((client) => [...client.notifications.keys()]);
      report.connected = clients.filter((client) => client.connected).length;
      for (const client of clients) client.close();
      send({ type: 'report', report });
      process.disconnect?.();
    }
  });
}

/** The test's handle on the child process. */
export class LegitClients {
  readonly #child = fork(fileURLToPath(import.meta.url), ['--child'], {
    execArgv: ['--import', 'tsx', '--conditions=@org/source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

  #ask<T>(command: Command, answer: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: { type: string; report?: T }) => {
        if (message.type !== answer) return;
        this.#child.off('message', onMessage);
        this.#child.off('exit', onExit);
        resolve(message.report as T);
      };
      const onExit = (code: number | null) => reject(new Error(`legitimate clients exited (${code})`));
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
      this.#child.send(command);
    });
  }

  start(url: string, people: { identity: Identity; token: string }[], firstAddress: number): Promise<void> {
    return this.#ask({ type: 'start', url, people, firstAddress }, 'ready');
  }

  phase(phase: string): Promise<void> {
    return this.#ask({ type: 'phase', phase }, 'phase');
  }

  stop(): Promise<LegitReport> {
    return this.#ask({ type: 'stop' }, 'report');
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }
}

if (process.argv.includes('--child')) await runChild();
