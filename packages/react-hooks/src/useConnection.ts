import { useSyncExternalStore } from 'react';
import type { ConnectionState, ConnectionStatus } from './core/realtimeClient.js';
import { useRealtimeClient } from './RealtimeProvider.js';

/** The connection's status, latency, reconnect attempt, last connected time and clock offset. */
export function useConnection(): ConnectionState {
  const client = useRealtimeClient();
  return useSyncExternalStore(client.subscribe, client.getState, client.getState);
}

/**
 * The connection status alone: components that only need to know whether data is live do not
 * re-render on every latency measurement.
 */
export function useConnectionStatus(): ConnectionStatus {
  const client = useRealtimeClient();
  const getStatus = () => client.getState().status;
  return useSyncExternalStore(client.subscribe, getStatus, getStatus);
}
