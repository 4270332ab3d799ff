import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A request to a child and the child's reply, matched by id. */
type Envelope = { id: number; command: unknown } | { id: number; reply?: unknown; error?: string };

/** Inside a child: tells the parent it is ready (resolves `Child.ready`). */
export function announce(info: unknown): void {
  process.send?.({ id: -1, reply: info });
}

/** Inside a child: answers the parent's requests with `handle`. */
export function serveParent(handle: (command: { cmd: string } & Record<string, unknown>) => Promise<unknown>): void {
  process.on('message', (message: Envelope) => {
    if (!('command' in message)) return;
    handle(message.command as { cmd: string } & Record<string, unknown>).then(
      (reply) => process.send?.({ id: message.id, reply }),
      (error: unknown) => process.send?.({ id: message.id, error: String((error as Error)?.stack ?? error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

export type ChildOptions = {
  /** Script under bench/src. */
  script: string;
  config: unknown;
  /** File descriptors the child may open (`ulimit -n`, up to the hard limit). */
  fds?: number;
  /** Extra node flags, e.g. --expose-gc, --cpu-prof. */
  nodeFlags?: string[];
  label: string;
};

/** A child process (tsx, @org/source condition, raised fd limit) driven over IPC. */
export class Child {
  readonly process: ChildProcess;
  readonly label: string;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly exited: Promise<number | null>;
  /** Resolves with what the child announces once it is listening / ready (`announce`). */
  readonly ready: Promise<unknown>;

  constructor(options: ChildOptions) {
    this.label = options.label;
    const flags = ['--import', 'tsx', '--conditions=@org/source', ...(options.nodeFlags ?? [])];
    const fds = options.fds ?? 20_000;
    // `ulimit -n` up to the hard limit; failing to raise it is reported by the child's own errors.
    this.process = spawn(
      'bash',
      [
        '-c',
        `ulimit -n ${fds} 2>/dev/null || ulimit -n hard 2>/dev/null; exec "$0" "$@"`,
        process.execPath,
        ...flags,
        join(BENCH_DIR, 'src', options.script),
        JSON.stringify(options.config),
      ],
      { cwd: BENCH_DIR, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    this.ready = new Promise((resolve) => {
      this.process.on('message', (message: Envelope) => {
        if (message.id === -1 && 'reply' in message) resolve(message.reply);
      });
    });
    this.process.on('message', (message: Envelope) => {
      const pending = this.#pending.get(message.id);
      if (!pending || 'command' in message) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(`${this.label}: ${message.error}`));
      else pending.resolve(message.reply);
    });
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code) => {
        for (const pending of this.#pending.values()) pending.reject(new Error(`${this.label} exited (${code})`));
        this.#pending.clear();
        resolve(code);
      });
    });
  }

  request<T>(command: { cmd: string } & Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.label}: ${command.cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.process.send({ id, command });
    });
  }

  /** Asks the child to stop, then kills it if it has not within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    await this.request({ cmd: 'stop' }, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
