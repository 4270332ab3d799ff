import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './freePort.js';

const INSTALL_HINT =
  'redis-server is not installed (or not on PATH), and these tests need a real one. Install it with ' +
  '`apt-get update && apt-get install -y redis-server` (Debian/Ubuntu; CI does the same).';

/** Options for {@link RedisServer} and {@link startRedis}. */
export type RedisServerOptions = {
  /** Loopback port to listen on; default a free one, picked at the first start and kept for restarts. */
  port?: number;
  /** How long a start may take until the server answers PING; default 15 000 ms. */
  readyTimeoutMs?: number;
};

// A failed test or a forgotten stop must not leave redis-servers behind the test process.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True when something accepts a TCP connection on the loopback `port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True when the server on `port` answers PING (listening alone is not ready: it may still be loading). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ready: boolean) => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/**
 * A throw-away redis-server on loopback without persistence: stop it gracefully, kill it, start it
 * again (empty) on the same port.
 */
export class RedisServer {
  #port: number;
  readonly #readyTimeoutMs: number;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(options: RedisServerOptions = {}) {
    this.#port = options.port ?? 0;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  }

  /** The port; 0 until the first start picks a free one. */
  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.#port}`;
  }

  /** Starts it (again, on the same port) and resolves once it answers PING; a running one is stopped first. */
  async start(): Promise<this> {
    await this.stop();
    this.#port ||= await freePort();
    const port = this.#port;
    const child = spawn(
      'redis-server',
      // Bound to loopback, protected mode protects nothing more; off, it also admits clients that
      // bind another 127.x source address (it lets in only 127.0.0.1 and ::1).
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    running.add(child);
    // Kept for error messages; reading also keeps a full pipe from blocking the server.
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let failure: Error | undefined;
    this.#exited = new Promise<void>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        running.delete(child);
        failure ??= error.code === 'ENOENT' ? new Error(INSTALL_HINT) : error;
        resolve();
      });
      child.once('exit', (code, signal) => {
        running.delete(child);
        failure ??= new Error(
          `redis-server on port ${port} exited (${signal ?? code}) before it was ready:\n${output}`,
        );
        resolve();
      });
    });
    const deadline = Date.now() + this.#readyTimeoutMs;
    for (;;) {
      if (failure) throw failure;
      if (await answersPing(port)) return this;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `redis-server on port ${port} did not answer PING within ${this.#readyTimeoutMs} ms:\n${output}`,
        );
      }
      await sleep(50);
    }
  }

  /** Stops it gracefully (SIGTERM; SIGKILL after 3 s) and waits until the port is closed. */
  stop(): Promise<void> {
    return this.#end('SIGTERM');
  }

  /** Kills it (SIGKILL: no goodbye to the clients) and waits until the port is closed. */
  kill(): Promise<void> {
    return this.#end('SIGKILL');
  }

  async #end(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (running.has(child)) {
      child.kill(signal);
      const escalate = signal === 'SIGTERM' ? setTimeout(() => child.kill('SIGKILL'), 3_000) : undefined;
      await this.#exited;
      clearTimeout(escalate);
    }
    const deadline = Date.now() + 5_000;
    while (await accepts(this.#port)) {
      if (Date.now() > deadline)
        throw new Error(`port ${this.#port} still accepts connections after redis-server exited`);
      await sleep(20);
    }
  }
}

/** Starts a throw-away redis-server (see {@link RedisServer}); fails loudly when it is not installed. */
export function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  return new RedisServer(options).start();
}
