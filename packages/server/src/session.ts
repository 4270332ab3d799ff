import { type Module, modulesForRoles, parseRoom, type RoomName, rooms } from '@org/contracts';
import type { VerifiedSession } from './auth.js';
import type { RealtimeSocket } from './types.js';

/** Longest delay `setTimeout` accepts (~24.8 days); longer sessions are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Room names many sockets share (tenant, role, module, dashboard, system) as one string each. A
 * socket's room set keeps the very string it joined with, so a name built per connection is one
 * more string (and its concatenation pieces) per socket and room. Bounded: cleared past the limit.
 */
const MAX_SHARED_ROOM_NAMES = 10_000;
const sharedRoomNames = new Map<string, string>();

export function sharedRoom<R extends RoomName>(room: R): R {
  const shared = sharedRoomNames.get(room);
  if (shared !== undefined) return shared as R;
  if (sharedRoomNames.size >= MAX_SHARED_ROOM_NAMES) sharedRoomNames.clear();
  sharedRoomNames.set(room, room);
  return room;
}

/**
 * A flat copy of a name built by concatenation: kept as built, `tenant:` + id + `:user:` + id stays a
 * rope of three 32-byte cons cells for as long as the socket is in the room.
 */
const flat = <S extends string>(name: S): S => JSON.parse(JSON.stringify(name)) as S;

/** The rooms a session joins on connect: its user, its tenant, each of its roles, and `system`. */
export function baseRooms(session: VerifiedSession): RoomName[] {
  return [
    flat(rooms.user(session.tenantId, session.userId)),
    sharedRoom(rooms.tenant(session.tenantId)),
    ...session.roles.map((role) => sharedRoom(rooms.role(session.tenantId, role))),
    rooms.system(),
  ];
}

/**
 * After connection-state recovery the socket's rooms are those of its previous session; the fresh
 * token may carry other roles. Keep only the module and dashboard rooms it still allows (the base
 * rooms are joined again).
 */
export function pruneRecoveredRooms(socket: RealtimeSocket, session: VerifiedSession): void {
  const modules: readonly Module[] = modulesForRoles(session.roles);
  for (const room of [...socket.rooms]) {
    if (room === socket.id) continue;
    const parsed = parseRoom(room);
    const allowed =
      (parsed?.kind === 'module' &&
        parsed.tenantId === session.tenantId &&
        modules.some((module) => module === parsed.module)) ||
      (parsed?.kind === 'dashboard' &&
        parsed.tenantId === session.tenantId &&
        session.roles.some((role) => role === parsed.role));
    if (!allowed) socket.leave(room);
  }
}

/**
 * Ends sessions when their tokens expire, with one timer for the whole server instead of one per
 * socket (a Timeout, its closure and a timer list cost ~250 B per connection). Sockets are grouped
 * by expiry time (JWT `exp` has second resolution, so many share one); the timer is armed for the
 * earliest group and re-armed after it fires.
 */
export class SessionExpiry {
  /** Sockets by the time their token expires (epoch ms). */
  readonly #byExpiry = new Map<number, Set<RealtimeSocket>>();
  readonly #onExpired: (socket: RealtimeSocket) => void;
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer is due (epoch ms); +Infinity when none is armed. */
  #armedFor = Number.POSITIVE_INFINITY;

  constructor(onExpired: (socket: RealtimeSocket) => void) {
    this.#onExpired = onExpired;
  }

  schedule(socket: RealtimeSocket, expiresAt: number): void {
    let group = this.#byExpiry.get(expiresAt);
    if (!group) {
      group = new Set();
      this.#byExpiry.set(expiresAt, group);
    }
    group.add(socket);
    if (expiresAt < this.#armedFor) this.#arm(expiresAt);
  }

  /** Forgets a socket (on disconnect); `expiresAt` is the one it was scheduled with. */
  cancel(socket: RealtimeSocket, expiresAt: number | null): void {
    if (expiresAt === null) return;
    const group = this.#byExpiry.get(expiresAt);
    if (!group) return;
    group.delete(socket);
    if (group.size === 0) this.#byExpiry.delete(expiresAt);
    // The timer may stay armed for a group that is gone: it then finds nothing due and re-arms.
  }

  cancelAll(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    this.#byExpiry.clear();
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#armedFor = at;
    const delay = Math.max(0, Math.min(at - Date.now(), MAX_TIMER_MS));
    this.#timer = setTimeout(() => this.#fire(), delay);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const due: Set<RealtimeSocket>[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [expiresAt, group] of this.#byExpiry) {
      if (expiresAt <= now) due.push(group);
      else if (expiresAt < next) next = expiresAt;
    }
    for (const [expiresAt] of this.#byExpiry) if (expiresAt <= now) this.#byExpiry.delete(expiresAt);
    // Arm before ending sessions: a session ended here may schedule or cancel others.
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
    for (const group of due) for (const socket of group) this.#onExpired(socket);
  }
}
