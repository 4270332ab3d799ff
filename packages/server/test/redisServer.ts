import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';

const INSTALL_HINT =
  'redis-server is not installed, and the scale-out tests need a real one. Install it with ' +
  '`apt-get update && apt-get install -y redis-server` (Debian/Ubuntu; CI does the same).';

function redisServerPath(): string {
  try {
    return execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(INSTALL_HINT);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export type RedisInstance = {
  url: string;
  /** Stops the server (when running). */
  stop: () => Promise<void>;
  /** Starts it again on the same port, empty (there is no persistence). */
  start: () => Promise<void>;
};

function spawnRedis(binary: string, port: number): Promise<ChildProcess> {
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise<ChildProcess>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    child.once('error', reject);
  });
}

/** Starts a throw-away redis-server on a free port (no persistence); fails loudly when it is not installed. */
export async function startRedis(): Promise<RedisInstance> {
  const binary = redisServerPath();
  const port = await freePort();
  let child = await spawnRedis(binary, port);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start: async () => {
      await stop();
      child = await spawnRedis(binary, port);
    },
  };
}

export type ChildNode = {
  url: string;
  call: (command: Record<string, unknown> & { type: string }) => Promise<unknown>;
  stop: () => Promise<void>;
};

/** A realtime node in a second Node process (TypeScript run by tsx, workspace packages from source). */
export async function startChildNode(env: { REDIS_URL: string; JWT_SECRET: string }): Promise<ChildNode> {
  const { fork } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const child = fork(fileURLToPath(new URL('./fixtures/node.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--conditions=@org/source'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const url = await new Promise<string>((resolve, reject) => {
    child.on('message', (message: { type: string; url?: string; id?: number; result?: unknown; error?: string }) => {
      if (message.type === 'ready' && message.url) resolve(message.url);
      if (message.type === 'result' && message.id !== undefined) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
      }
    });
    child.once('exit', (code) => reject(new Error(`the child node exited with ${code} before it was ready`)));
  });
  return {
    url,
    call: (command) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ ...command, id });
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) {
        const id = nextId++;
        child.send({ type: 'close', id });
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
