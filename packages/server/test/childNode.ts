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
