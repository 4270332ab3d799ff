import { randomInt, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { createClient } from 'redis';
import type { StreamEntry, StreamLog } from './streams.js';

/**
 * Where a stream's sequence numbers come from. One node: its own log, synchronously. Several
 * nodes: a counter they share, so that no two nodes ever hand out the same number on a stream.
 */
export interface Sequencer {
  /** Reserves the next number of a stream. Numbers reserved by one caller come back in call order. */
  next(stream: string): number | Promise<number>;
  /** The stream's current number (what a client positioned now has seen up to). */
  position(stream: string): number | Promise<number>;
}

export class LocalSequencer implements Sequencer {
  readonly #log: StreamLog;

  constructor(log: StreamLog) {
    this.#log = log;
  }

  next(stream: string): number {
    return this.#log.next(stream);
  }

  position(stream: string): number {
    return this.#log.position(stream);
  }
}

/**
 * KEYS[1]: the stream's counter. ARGV: floor, epoch start, ttl ms, increment (1|0).
 * A missing counter starts at the epoch; a counter below the floor (what the calling node has
 * already handed out or seen) is raised to it, so no node ever sees numbers go backwards. Numbers
 * stay below 2^53, exact in Lua's doubles; they are passed and stored as strings.
 */
const COUNTER_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[2])
  current = ARGV[2]
end
if tonumber(ARGV[1]) > tonumber(current) then
  redis.call('SET', KEYS[1], ARGV[1])
  current = ARGV[1]
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] == '1' then
  return redis.call('INCR', KEYS[1])
end
return current
`;

/** Microseconds since the Unix epoch, with a random sub-millisecond part so two nodes rarely start together. */
const divergedEpoch = () => Math.floor((performance.timeOrigin + performance.now()) * 1000) + randomInt(1000);

type RedisClient = ReturnType<typeof createClient>;

/**
 * Closes a client: gracefully (pending replies first) when Redis is reachable, at once otherwise,
 * since `close()` would wait for commands queued offline until Redis came back.
 */
export async function releaseClient(client: RedisClient, graceMs = 2_000): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) return client.destroy();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const outcome = await Promise.race([client.close().catch(() => undefined), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout' && client.isOpen) client.destroy();
}

/** One node's last own entry on a stream, announced to the others: [stream, seq, id]. */
type Head = [stream: string, seq: number, id: string];

type ClusterMessage = { node: string; entry: StreamEntry } | { node: string; heads: Head[] };

export type ClusterLinkOptions = {
  url: string;
  log: StreamLog;
  logger: Logger;
  /** An entry another node emitted. */
  onEntry: (entry: StreamEntry) => void;
  /** This node's clients of `stream` may have missed an entry another node emitted: they must resync. */
  onBehind: (stream: string) => void;
  /**
   * The link to the other nodes was cut and is back: whatever they emitted meanwhile never arrived
   * here, so every client of this node must resync what it follows.
   */
  onRelinked: () => void;
  /** Prefix of the Redis keys and channel. Default `realtime`. */
  prefix?: string;
  /** How long an idle stream's counter is kept. Default 7 days. */
  counterTtlMs?: number;
  /** How often each node announces the last entry it emitted on each recently active stream. Default 1 s. */
  headsIntervalMs?: number;
  /** How long a number may take to come back before this node numbers on its own. Default 500 ms. */
  counterTimeoutMs?: number;
};

/** How many heads ticks announce a stream after its last own entry (covers a subscriber that was reconnecting). */
const ANNOUNCE_TICKS = 3;
const HEADS_PER_MESSAGE = 500;

/**
 * What makes several nodes one stream source, over Redis:
 * - Numbers come from a per-stream counter in Redis (one Lua call per publish), so they are unique
 *   across nodes. While Redis is unreachable a node numbers on its own in a new epoch (see
 *   `StreamLog.nextDiverged`) and keeps serving its own clients; once Redis answers, the stream's
 *   counter is raised above that epoch and everyone's clients see a gap and resync.
 * - Every emitted entry is published on one channel; the other nodes record it for replay and
 *   emit it to their own clients.
 * - Pub/sub drops what is sent while a node is disconnected, so each node also announces, for a few
 *   seconds after it emitted on a stream, the last entry it emitted there. Messages from one node
 *   arrive in order, so a node that has not recorded that entry missed it, and tells its clients
 *   of that stream to resync.
 *
 * The command connection has no offline queue: while Redis is down, calls fail at once (and fall
 * back) instead of piling up.
 */
export class ClusterLink implements Sequencer {
  readonly node = randomUUID();
  readonly #options: ClusterLinkOptions;
  readonly #log: StreamLog;
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #channel: string;
  readonly #keyPrefix: string;
  readonly #ttl: string;
  readonly #counterTimeoutMs: number;
  readonly #announce = new Map<string, { seq: number; id: string; ticks: number }>();
  readonly #headsTimer: NodeJS.Timeout;
  #sha: string | undefined;
  #order: Promise<unknown> = Promise.resolve();
  #divergedSince: number | undefined;

  constructor(options: ClusterLinkOptions) {
    this.#options = options;
    this.#log = options.log;
    const prefix = options.prefix ?? 'realtime';
    this.#channel = `${prefix}:entries`;
    this.#keyPrefix = `${prefix}:seq:`;
    this.#ttl = String(options.counterTtlMs ?? 7 * 24 * 3600_000);
    this.#counterTimeoutMs = options.counterTimeoutMs ?? 500;
    this.#client = createClient({ url: options.url, disableOfflineQueue: true });
    this.#subscriber = this.#client.duplicate();
    for (const client of [this.#client, this.#subscriber]) {
      client.on('error', (error: unknown) =>
        options.logger.debug({ code: 'UNAVAILABLE', err: error }, 'redis (sequencer) error'),
      );
    }
    let subscribed = false;
    this.#subscriber.on('ready', () => {
      // The first time is the start; any later one follows a disconnect.
      if (subscribed) {
        options.logger.info({ code: 'RECOVERED' }, 'link to the other nodes is back: clients resync');
        options.onRelinked();
      }
      subscribed = true;
    });
    this.#client.on('ready', () => {
      if (this.#divergedSince === undefined) return;
      options.logger.info(
        { code: 'RECOVERED', divergedMs: Date.now() - this.#divergedSince },
        'redis is back: numbering from the shared counter again',
      );
      this.#divergedSince = undefined;
    });
    this.#headsTimer = setInterval(() => this.#sendHeads(), options.headsIntervalMs ?? 1_000);
    this.#headsTimer.unref();
  }

  async connect(): Promise<void> {
    await Promise.all([this.#client.connect(), this.#subscriber.connect()]);
    // Subscriptions are restored by the client after a reconnect.
    await this.#subscriber.subscribe(this.#channel, (message) => this.#receive(message));
  }

  next(stream: string): Promise<number> {
    const reply = this.#counter(stream, true);
    // Replies on one connection come back in order; failures may not, so numbers (and fallback
    // numbers) are taken in call order.
    const turn = this.#order
      .then(() => reply)
      .then((seq) => {
        if (seq === undefined) return this.#diverge(stream);
        this.#log.adopt(stream, seq);
        return seq;
      });
    this.#order = turn.catch(() => undefined);
    return turn;
  }

  async position(stream: string): Promise<number> {
    const seq = await this.#counter(stream, false);
    if (seq === undefined) return this.#log.position(stream);
    this.#log.adopt(stream, seq, true);
    return seq;
  }

  /** Shares an entry this node emitted with the others. */
  share(entry: StreamEntry): void {
    this.#announce.set(entry.envelope.stream, {
      seq: entry.envelope.seq,
      id: entry.envelope.id,
      ticks: ANNOUNCE_TICKS,
    });
    this.#publish({ node: this.node, entry });
  }

  async close(): Promise<void> {
    clearInterval(this.#headsTimer);
    await Promise.all([releaseClient(this.#client), releaseClient(this.#subscriber)]);
  }

  /** The counter's next (or current) value; undefined when Redis cannot answer now. */
  async #counter(stream: string, increment: boolean): Promise<number | undefined> {
    if (!this.#client.isReady) return undefined;
    const highest = this.#log.highest(stream);
    // A stream numbered here during an outage moves to a new epoch, above both its own numbers and
    // any other node's: every client of it sees a gap, whatever the others handed out meanwhile.
    const diverged = this.#log.takeDiverged(stream);
    const floor = diverged ? Math.max(highest, divergedEpoch()) : highest;
    const keys = [`${this.#keyPrefix}${stream}`];
    const args = [String(floor), String(this.#log.sequenceStart()), this.#ttl, increment ? '1' : '0'];
    let timer: NodeJS.Timeout | undefined;
    try {
      // A Redis that accepts commands but does not answer must not hold every publish back.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('sequence counter timed out')), this.#counterTimeoutMs);
      });
      const reply = await Promise.race([this.#evalCounter(keys, args), timeout]);
      const seq = Number(reply);
      if (!Number.isSafeInteger(seq)) throw new Error(`unexpected counter reply ${String(reply)}`);
      return seq;
    } catch (error) {
      if (diverged) this.#log.markDiverged(stream);
      this.#options.logger.debug({ code: 'UNAVAILABLE', err: error, stream }, 'sequence counter unavailable');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async #evalCounter(keys: string[], args: string[]): Promise<unknown> {
    if (this.#sha) {
      try {
        return await this.#client.evalSha(this.#sha, { keys, arguments: args });
      } catch (error) {
        if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      }
    }
    const reply = await this.#client.eval(COUNTER_SCRIPT, { keys, arguments: args });
    this.#sha ??= String(await this.#client.scriptLoad(COUNTER_SCRIPT).catch(() => ''));
    if (this.#sha === '') this.#sha = undefined;
    return reply;
  }

  #diverge(stream: string): number {
    if (this.#divergedSince === undefined) {
      this.#divergedSince = Date.now();
      this.#options.logger.warn({ code: 'UNAVAILABLE' }, 'redis unavailable: numbering streams locally');
    }
    return this.#log.nextDiverged(stream, divergedEpoch());
  }

  #publish(message: ClusterMessage): void {
    if (!this.#client.isReady) return; // the heads, sent once Redis is back, cover what is skipped
    this.#client.publish(this.#channel, JSON.stringify(message)).catch((error: unknown) => {
      this.#options.logger.debug({ code: 'UNAVAILABLE', err: error }, 'entry not shared');
    });
  }

  #sendHeads(): void {
    if (this.#announce.size === 0 || !this.#client.isReady) return;
    let heads: Head[] = [];
    for (const [stream, head] of this.#announce) {
      heads.push([stream, head.seq, head.id]);
      head.ticks -= 1;
      if (head.ticks <= 0) this.#announce.delete(stream);
      if (heads.length === HEADS_PER_MESSAGE) {
        this.#publish({ node: this.node, heads });
        heads = [];
      }
    }
    if (heads.length > 0) this.#publish({ node: this.node, heads });
  }

  #receive(raw: string): void {
    let message: ClusterMessage;
    try {
      message = JSON.parse(raw) as ClusterMessage;
    } catch {
      return;
    }
    if (message.node === this.node) return;
    if ('entry' in message) {
      this.#options.onEntry(message.entry);
      return;
    }
    for (const [stream, seq, id] of message.heads) {
      if (this.#log.missed(stream, seq, id)) this.#options.onBehind(stream);
    }
  }
}
