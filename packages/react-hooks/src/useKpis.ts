import type { KpiSnapshot, KpiWithHistory, Module } from '@org/contracts';
import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { kpisQuery } from './core/queryOptions.js';
import type { ConnectionStatus } from './core/realtimeClient.js';
import { useRealtimeClient } from './RealtimeProvider.js';
import { useConnectionStatus } from './useConnection.js';

export interface UseKpisResult {
  /** The module's KPIs, each with its recent history (oldest first); empty until loaded. */
  kpis: KpiWithHistory[];
  /** The last time any KPI of the module changed (ISO timestamp). */
  updatedAt: string | undefined;
  /** `live`: pushed by the socket; anything else: from REST (polled), possibly behind. */
  status: ConnectionStatus;
  query: UseQueryResult<KpiSnapshot>;
}

/**
 * A module's KPIs: a REST snapshot kept current by live `kpi:update` events, polled while the
 * socket is down. Components share one server subscription, released when the last unmounts.
 */
export function useKpis(module: Module): UseKpisResult {
  const client = useRealtimeClient();
  const status = useConnectionStatus();
  useEffect(() => client.subscribeKpis(module), [client, module]);
  const query = useQuery(kpisQuery(client, module));
  return { kpis: query.data?.kpis ?? [], updatedAt: query.data?.asOf, status, query };
}
