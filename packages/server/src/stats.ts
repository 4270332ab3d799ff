import type { RealtimeStats } from '@org/contracts';
import type { RealtimeMetrics } from './metrics.js';
import type { NodeStats, RealtimeIo } from './types.js';

function emptyStats(): RealtimeStats {
  return {
    connections: 0,
    uniqueUsers: 0,
    perTenant: {},
    perRole: {},
    rooms: 0,
    eventsIn: 0,
    eventsOut: 0,
    rejections: {},
  };
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
}

/** This node's stats, with the user keys and room names needed to de-duplicate across nodes. */
export function nodeStats(io: RealtimeIo, metrics: RealtimeMetrics): NodeStats {
  const stats = { ...emptyStats(), ...metrics.counters() };
  const users = new Set<string>();
  for (const socket of io.of('/').sockets.values()) {
    const { session } = socket.data;
    if (!session) continue;
    stats.connections += 1;
    users.add(`${session.tenantId}/${session.userId}`);
    stats.perTenant[session.tenantId] = (stats.perTenant[session.tenantId] ?? 0) + 1;
    for (const role of session.roles) stats.perRole[role] = (stats.perRole[role] ?? 0) + 1;
  }
  const adapter = io.of('/').adapter;
  // Every socket has a private room named by its id: those are not rooms of the contract.
  const roomNames = [...adapter.rooms.keys()].filter((room) => !adapter.sids.has(room));
  return { ...stats, uniqueUsers: users.size, rooms: roomNames.length, users: [...users], roomNames };
}

export function toStats({ users: _users, roomNames: _roomNames, ...stats }: NodeStats): RealtimeStats {
  return stats;
}

/** Sums the stats of several nodes; users and rooms present on several nodes count once. */
export function sumStats(nodes: readonly NodeStats[]): RealtimeStats {
  const total = emptyStats();
  const users = new Set<string>();
  const roomNames = new Set<string>();
  for (const node of nodes) {
    total.connections += node.connections;
    total.eventsIn += node.eventsIn;
    total.eventsOut += node.eventsOut;
    addCounts(total.perTenant, node.perTenant);
    addCounts(total.perRole, node.perRole);
    addCounts(total.rejections, node.rejections);
    for (const user of node.users) users.add(user);
    for (const room of node.roomNames) roomNames.add(room);
  }
  return { ...total, uniqueUsers: users.size, rooms: roomNames.size };
}
