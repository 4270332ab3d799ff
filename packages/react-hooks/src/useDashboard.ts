import type { DashboardSnapshot, Kpi } from '@org/contracts';
import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { dashboardQuery } from './core/queryOptions.js';
import type { ConnectionStatus } from './core/realtimeClient.js';
import { useRealtimeClient } from './RealtimeProvider.js';
import { useConnectionStatus } from './useConnection.js';

export interface UseDashboardResult {
  /** One headline KPI per module the viewer's roles may see. */
  cards: Kpi[];
  /** The KPIs that moved most recently, newest first. */
  topKpis: Kpi[];
  /** When the summary last changed (ISO timestamp). */
  updatedAt: string | undefined;
  status: ConnectionStatus;
  query: UseQueryResult<DashboardSnapshot>;
}

/** The viewer's dashboard summary, live while connected, polled while not. */
export function useDashboard(): UseDashboardResult {
  const client = useRealtimeClient();
  const status = useConnectionStatus();
  useEffect(() => client.subscribeDashboard(), [client]);
  const query = useQuery(dashboardQuery(client));
  return {
    cards: query.data?.cards ?? [],
    topKpis: query.data?.topKpis ?? [],
    updatedAt: query.data?.updatedAt,
    status,
    query,
  };
}
