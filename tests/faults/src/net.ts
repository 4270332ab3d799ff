import { createServer, type Server, type Socket } from 'node:net';

/**
 * Loopback source addresses (127.0.x.y, all routed to lo on Linux) so that many clients do not
 * share one address: the server limits connection attempts per address, as it should.
 */
export function loopbackAddress(index: number): string {
  const n = (index % 250) + 2;
  return `127.0.${1 + (Math.floor(index / 250) % 200)}.${n}`;
}

/**
 * A small TCP proxy for cutting links: round-robin over `targets`, `cut()` destroys every piped
 * connection, `block()` refuses new ones until `unblock()`. The upstream connection keeps the
 * client's source address, so per-address limits see the real client.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  #targets: number[];
  #next = 0;
  #blocked = false;
  port = 0;
  accepted = 0;

  constructor(targets: number[]) {
    this.#targets = [...targets];
    this.#server = createServer((client) => this.#pipe(client));
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.#server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  setTargets(targets: number[]): void {
    this.#targets = [...targets];
  }

  /** Refuse (reset) new connections. */
  block(): void {
    this.#blocked = true;
  }

  unblock(): void {
    this.#blocked = false;
  }

  /** Drops every established link abruptly (as a network failure would). */
  cut(filter: (client: Socket) => boolean = () => true): number {
    let cut = 0;
    for (const pair of [...this.#pairs]) {
      if (!filter(pair[0])) continue;
      pair[0].resetAndDestroy();
      pair[1].resetAndDestroy();
      this.#pairs.delete(pair);
      cut += 1;
    }
    return cut;
  }

  get open(): number {
    return this.#pairs.size;
  }

  #pipe(client: Socket): void {
    client.on('error', () => {});
    if (this.#blocked || this.#targets.length === 0) {
      client.resetAndDestroy();
      return;
    }
    this.accepted += 1;
    const port = this.#targets[this.#next++ % this.#targets.length] as number;
    const localAddress = client.remoteAddress?.replace(/^::ffff:/, '');
    const upstream = new (client.constructor as typeof Socket)();
    upstream.on('error', () => {});
    upstream.connect({ port, host: '127.0.0.1', ...(localAddress?.startsWith('127.') && { localAddress }) });
    const pair: [Socket, Socket] = [client, upstream];
    this.#pairs.add(pair);
    const close = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
