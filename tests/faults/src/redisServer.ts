import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { sleep, waitFor } from './env.js';
import { freePort } from './net.js';

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.end('PING\r\n');
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A throw-away redis-server on a free loopback port, no persistence; stop and start it at will. */
export class RedisServer {
  port = 0;
  #child: ChildProcess | undefined;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    await waitFor(() => accepts(this.port), `redis-server on ${this.port}`, 15_000, 50);
    return this;
  }

  /** Kills it (SIGKILL: no goodbye to the clients) and waits until the port is closed. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    await sleep(50);
  }
}
