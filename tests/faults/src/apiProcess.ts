import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@org/test-support';
import { REPO_ROOT, sleep, waitFor } from './env.js';

const MAIN = join(REPO_ROOT, 'apps/api/src/main.ts');
const PROBE = new URL('./probeServer.ts', import.meta.url).pathname;
/** This package's folder: `--import tsx` resolves from here. */
const PACKAGE_DIR = new URL('..', import.meta.url).pathname;

const running = new Set<ChildProcess>();
// Safety net: a worker that dies never leaves an API behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export type ProbeReport = {
  heapUsed: number;
  rss: number;
  gcExposed: boolean;
  sockets: number;
  engineClients: number;
  rooms: number;
  sids: number;
  listeners: number;
  timers: number;
  handles: number;
  stats: { connections: number; rooms: number; rejections: Record<string, number> };
  polluted: number;
};

export type ApiProcessOptions = {
  /** Fixed port (kept across restarts); a free one by default. */
  port?: number;
  /** PGlite folder, kept across restarts; a fresh temp folder by default (removed by `dispose`). */
  dataDir?: string;
  env?: Record<string, string>;
  /** Run `probeServer.ts` (IPC probes, `--expose-gc`) instead of `apps/api/src/main.ts`. */
  probe?: boolean;
  name?: string;
};

/**
 * The real API in a child process (`node --conditions=@org/source --import tsx`), on a fixed port
 * with a data folder, so that it can be killed and started again with its data.
 */
export class ApiProcess {
  readonly name: string;
  readonly dataDir: string;
  readonly #ownsDataDir: boolean;
  readonly #options: ApiProcessOptions;
  port = 0;
  child: ChildProcess | undefined;
  /** Exits we did not ask for (crashes). */
  readonly crashes: string[] = [];
  readonly output: string[] = [];
  starts = 0;
  #stopping = false;
  #probeId = 0;

  constructor(options: ApiProcessOptions = {}) {
    this.#options = options;
    this.name = options.name ?? 'api';
    this.#ownsDataDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'faults-api-'));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<this> {
    if (this.alive) return this;
    this.port ||= this.#options.port ?? (await freePort());
    const args = ['--conditions=@org/source', '--import', 'tsx'];
    if (this.#options.probe) args.push('--expose-gc', PROBE);
    else args.push(MAIN);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(this.port),
      DATA_DIR: this.dataDir,
      SIMULATOR: 'false',
      DEMO_MODE: 'true',
      LOG_LEVEL: 'error',
      ...this.#options.env,
    };
    const child = spawn(process.execPath, args, {
      cwd: PACKAGE_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.#stopping = false;
    this.starts += 1;
    running.add(child);
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        this.output.push(line.slice(0, 2000));
        if (this.output.length > 200) this.output.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', (code, signal) => {
      running.delete(child);
      if (!this.#stopping) this.crashes.push(`${this.name} exited (code ${code}, signal ${signal})`);
    });
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${this.name} exited while starting:\n${this.output.slice(-30).join('\n')}`);
        }
        try {
          const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
          return response.ok;
        } catch {
          return false;
        }
      },
      `${this.name} to listen on ${this.port}`,
      60_000,
      100,
    );
    return this;
  }

  /** Graceful stop (SIGTERM, as an orchestrator would), SIGKILL if it hangs. */
  async stop(): Promise<void> {
    await this.#end('SIGTERM');
  }

  /** Sudden death. */
  async kill(): Promise<void> {
    await this.#end('SIGKILL');
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.#stopping = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timeout = sleep(10_000).then(() => 'timeout' as const);
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Heap after GC and server-side bookkeeping (probe mode only). */
  probe(): Promise<ProbeReport> {
    return this.#ask<ProbeReport>('probe');
  }

  /** The server's event-loop delay (ms) since the last call (probe mode only). */
  loopDelay(): Promise<{ p50: number; p99: number; max: number }> {
    return this.#ask('loop');
  }

  /**
   * Publishes events through the server's own `publish` in the API process (probe mode only): the
   * same validation, scope checks, numbering and room routing as a `POST /api/events`, without
   * HTTP and the store.
   */
  publish(
    events: { event: string; target: unknown; data: unknown }[],
  ): Promise<{ published: number; failed: number; errors: string[] }> {
    return this.#ask('publish', { events }, 120_000);
  }

  #ask<T>(type: string, payload: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<T> {
    const child = this.child;
    if (!child?.send) return Promise.reject(new Error('not a probe process'));
    const id = ++this.#probeId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${type} probe timed out`)), timeoutMs);
      const onMessage = (message: { type?: string; id?: number; data?: T }) => {
        if (message?.type !== type || message.id !== id || !message.data) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message.data);
      };
      child.on('message', onMessage);
      child.send({ ...payload, type, id });
    });
  }

  async dispose(): Promise<void> {
    await this.kill();
    if (this.#ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
