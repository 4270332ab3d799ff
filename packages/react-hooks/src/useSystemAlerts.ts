import type { AlertAcknowledged, AlertsResponse, SystemAlert } from '@org/contracts';
import { type UseQueryResult, useMutation, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { RealtimeRequestError } from './core/errors.js';
import { acknowledgeAlertMutation, alertsQuery } from './core/queryOptions.js';
import type { ConnectionStatus } from './core/realtimeClient.js';
import { useRealtimeClient } from './RealtimeProvider.js';
import { useConnectionStatus } from './useConnection.js';

export interface UseSystemAlertsOptions {
  /** How many of the latest alerts to keep. Default 10. */
  limit?: number;
}

export interface UseSystemAlertsResult {
  /** The latest alerts, newest first. */
  alerts: SystemAlert[];
  acknowledge: (id: string) => Promise<AlertAcknowledged>;
  acknowledgeError: RealtimeRequestError | null;
  status: ConnectionStatus;
  query: UseQueryResult<AlertsResponse>;
}

/** The latest system alerts (tenant and system-wide), live and polled, with `acknowledge(id)`. */
export function useSystemAlerts(options: UseSystemAlertsOptions = {}): UseSystemAlertsResult {
  const limit = options.limit ?? 10;
  const client = useRealtimeClient();
  const status = useConnectionStatus();
  const query = useQuery(alertsQuery(client, limit));
  const mutationOptions = useMemo(() => acknowledgeAlertMutation(client), [client]);
  const mutation = useMutation<AlertAcknowledged, RealtimeRequestError, string>(mutationOptions);
  return {
    alerts: query.data?.items ?? [],
    acknowledge: mutation.mutateAsync,
    acknowledgeError: mutation.error,
    status,
    query,
  };
}
