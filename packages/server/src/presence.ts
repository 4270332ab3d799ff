import { createHash } from 'node:crypto';
import { type PresenceUpdate, type Role, rooms, type TenantId } from '@org/contracts';
import type { Logger } from 'pino';
import type { RealtimeIo } from './types.js';

/**
 * Who is online per tenant: users, not sockets, gathered from every node through the adapter
 * (`fetchSockets`), so it stays right across reconnects and processes.
 */
export async function presenceOf(io: RealtimeIo, tenantId: TenantId): Promise<PresenceUpdate> {
  const sockets = await io.in(rooms.tenant(tenantId)).fetchSockets();
  const users = new Map<string, { roles: Set<Role>; connections: number; since: number }>();
  for (const socket of sockets) {
    const { session, connectedAt } = socket.data;
    if (!session || session.tenantId !== tenantId) continue;
    const user = users.get(session.userId) ?? { roles: new Set<Role>(), connections: 0, since: connectedAt };
    for (const role of session.roles) user.roles.add(role);
    user.connections += 1;
    user.since = Math.min(user.since, connectedAt);
    users.set(session.userId, user);
  }
  const online = [...users.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([userId, user]) => ({
      userId,
      roles: [...user.roles].sort(),
      connections: user.connections,
      since: new Date(user.since).toISOString(),
    }));
  return { tenantId, online };
}

/**
 * A recount walks every socket of the tenant, so during a connect storm recounting on every tick
 * costs O(sockets) per connection. After a recount that took `d` ms the next one waits
 * `(RECOUNT_DUTY - 1) * d` ms (at most MAX_RECOUNT_DELAY_MS): recounts use at most ~1/RECOUNT_DUTY of
 * the CPU, small tenants are still recounted on the next tick, and big ones a few times a second.
 */
const RECOUNT_DUTY = 10;
/** Who receives `presence:update` (server.ts publishes it to this role's room of the tenant). */
const AUDIENCE: Role = 'ADMIN';
const MAX_RECOUNT_DELAY_MS = 2_000;

/**
 * Publishes `presence:update` to a tenant's ADMIN room when who is online changes. Changes are
 * batched per tenant (one recount per tick, spaced out for big tenants, see RECOUNT_DUTY) and only
 * a different list is published.
 */
export class PresenceTracker {
  readonly #io: RealtimeIo;
  readonly #publish: (update: PresenceUpdate) => void;
  readonly #logger: Logger;
  /** Digest of the last list published per tenant (without `since`). */
  readonly #last = new Map<TenantId, string>();
  readonly #scheduled = new Set<TenantId>();
  /** Tenants an admin joined since their last recount: that admin must get the list, changed or not. */
  readonly #adminJoined = new Set<TenantId>();
  readonly #chains = new Map<TenantId, Promise<void>>();
  /** How long the last recount of a tenant took (ms). */
  readonly #cost = new Map<TenantId, number>();
  /** Wakes recounts waiting out their delay (on close). */
  readonly #waiting = new Set<() => void>();
  readonly #singleNode: boolean;
  #closed = false;

  /**
   * `singleNode`: no other node shares the rooms (no adapter across processes), so this node alone
   * knows whether any admin can receive a tenant's presence. Default false: always recount.
   */
  constructor(
    io: RealtimeIo,
    publish: (update: PresenceUpdate) => void,
    logger: Logger,
    options: { singleNode?: boolean } = {},
  ) {
    this.#io = io;
    this.#publish = publish;
    this.#logger = logger;
    this.#singleNode = options.singleNode === true;
  }

  /**
   * A socket of this tenant connected or disconnected. Recounts run one at a time per tenant, in
   * order. `adminJoined`: the socket is an admin's that just connected. It gets the list even when
   * the list is what was last published, which it never received (a page reload can take its REST
   * snapshot between its old socket leaving and its new one arriving, and would keep "nobody" for good).
   */
  changed(tenantId: TenantId, options: { adminJoined?: boolean } = {}): void {
    if (options.adminJoined) this.#adminJoined.add(tenantId);
    if (this.#closed || this.#scheduled.has(tenantId)) return;
    this.#scheduled.add(tenantId);
    const previous = this.#chains.get(tenantId) ?? Promise.resolve();
    const run = previous
      .then(() => this.#pause(tenantId))
      .then(async () => {
        // Changes from now on schedule another recount after this one.
        this.#scheduled.delete(tenantId);
        if (this.#closed) return;
        if (this.#nobodyToTell(tenantId)) return;
        const mustTell = this.#adminJoined.delete(tenantId);
        const started = performance.now();
        try {
          const update = await presenceOf(this.#io, tenantId);
          // A digest, not the list itself: the list is O(users) (~70 B per user of a tenant, held for good).
          const key = createHash('sha256')
            .update(JSON.stringify(update.online.map(({ since: _since, ...user }) => user)))
            .digest('base64');
          if (this.#closed || (this.#last.get(tenantId) === key && !mustTell)) return;
          this.#last.set(tenantId, key);
          this.#publish(update);
        } finally {
          this.#cost.set(tenantId, performance.now() - started);
        }
      })
      .catch((error: unknown) =>
        this.#logger.warn({ code: 'UNAVAILABLE', err: error, tenantId }, 'presence update failed'),
      )
      .finally(() => {
        if (this.#chains.get(tenantId) === run) this.#chains.delete(tenantId);
      });
    this.#chains.set(tenantId, run);
  }

  /**
   * Whether no one can receive the tenant's presence: a single node, and none of the tenant's admins
   * on it. The recount is skipped then (no O(users) list built, published or kept for replay) and the
   * last published list stays the reference, so the first admin to connect triggers a recount that
   * publishes whatever changed meanwhile. (Across nodes, heartbeats may not have told this node about
   * the others yet: it always recounts.)
   */
  #nobodyToTell(tenantId: TenantId): boolean {
    if (!this.#singleNode) return false;
    return (this.#io.of('/').adapter.rooms.get(rooms.role(tenantId, AUDIENCE))?.size ?? 0) === 0;
  }

  /** The next tick, or later when the tenant's last recount was expensive. */
  #pause(tenantId: TenantId): Promise<void> {
    const delay = Math.min(MAX_RECOUNT_DELAY_MS, (this.#cost.get(tenantId) ?? 0) * (RECOUNT_DUTY - 1));
    return new Promise<void>((resolve) => {
      if (delay < 1 || this.#closed) {
        setImmediate(resolve);
        return;
      }
      const wake = () => {
        clearTimeout(timer);
        this.#waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, delay);
      this.#waiting.add(wake);
    });
  }

  /**
   * Stops recounting. Waits for recounts in flight, but not past `graceMs`: one may be waiting on
   * other nodes through an unreachable Redis (it publishes nothing once closed).
   */
  async close(graceMs = 1_000): Promise<void> {
    this.#closed = true;
    for (const wake of [...this.#waiting]) wake();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    await Promise.race([Promise.all([...this.#chains.values()]), grace]);
    clearTimeout(timer);
  }
}
