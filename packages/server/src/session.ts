import { type Module, modulesForRoles, parseRoom, type RoomName, rooms } from '@org/contracts';
import type { VerifiedSession } from './auth.js';
import type { RealtimeSocket } from './types.js';

/** Longest delay `setTimeout` accepts (~24.8 days); longer sessions are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The rooms a session joins on connect: its user, its tenant, each of its roles, and `system`. */
export function baseRooms(session: VerifiedSession): RoomName[] {
  return [
    rooms.user(session.tenantId, session.userId),
    rooms.tenant(session.tenantId),
    ...session.roles.map((role) => rooms.role(session.tenantId, role)),
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

/** One timer per socket that ends the session when its token expires. */
export class SessionExpiry {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #onExpired: (socket: RealtimeSocket) => void;

  constructor(onExpired: (socket: RealtimeSocket) => void) {
    this.#onExpired = onExpired;
  }

  schedule(socket: RealtimeSocket, expiresAt: number): void {
    const delay = Math.max(0, Math.min(expiresAt - Date.now(), MAX_TIMER_MS));
    const timer = setTimeout(() => {
      if (expiresAt > Date.now()) return this.schedule(socket, expiresAt);
      this.#timers.delete(socket.id);
      this.#onExpired(socket);
    }, delay);
    this.#timers.set(socket.id, timer);
  }

  cancel(socketId: string): void {
    clearTimeout(this.#timers.get(socketId));
    this.#timers.delete(socketId);
  }

  cancelAll(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
