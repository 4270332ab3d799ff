import { useSyncExternalStore } from 'react';
import type { ConnectionState } from './core/realtimeClient.js';
import { useRealtimeClient } from './RealtimeProvider.js';

/** The connection's status, latency, reconnect attempt, last connected time and clock offset. */
export function useConnection(): ConnectionState {
  const client = useRealtimeClient();
  return useSyncExternalStore(client.subscribe, client.getState, client.getState);
}
