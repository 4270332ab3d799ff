import type {
  AlertAcknowledged,
  ClientEventResponse,
  ConnectErrorData,
  ErrorCode,
  KpiSnapshot,
  KpiUpdate,
  KpiWithHistory,
  Module,
  Notification,
  NotificationsRead,
  ServerEventData,
  SystemAlert,
} from '@org/contracts';
import type { UseQueryResult } from '@tanstack/react-query';
import { describe, expectTypeOf, it } from 'vitest';
import type { NotificationsData } from './core/cacheUpdates.js';
import {
  type ConnectionStatus,
  type RealtimeMessage,
  type RealtimeRequestError,
  realtimeKeys,
  useConnection,
  useDashboard,
  useEmit,
  useKpis,
  useNotifications,
  useRealtimeEvent,
  useRealtimeStream,
  useSystemAlerts,
} from './index.js';

describe('hooks return contract types', () => {
  it('useKpis gives the snapshot KPIs of a module', () => {
    expectTypeOf(useKpis).parameter(0).toEqualTypeOf<Module>();
    const result = useKpis('risk');
    expectTypeOf(result.kpis).toEqualTypeOf<KpiWithHistory[]>();
    expectTypeOf(result.query).toEqualTypeOf<UseQueryResult<KpiSnapshot>>();
    expectTypeOf(result.status).toEqualTypeOf<ConnectionStatus>();
    // @ts-expect-error not a module of the contract
    useKpis('marketing');
  });

  it('useNotifications, useSystemAlerts and useDashboard use the DTOs', () => {
    const notifications = useNotifications();
    expectTypeOf(notifications.notifications).toEqualTypeOf<Notification[]>();
    expectTypeOf(notifications.markRead).returns.resolves.toEqualTypeOf<NotificationsRead>();
    expectTypeOf(notifications.markReadError).toEqualTypeOf<RealtimeRequestError | null>();
    expectTypeOf(notifications.query.data).toEqualTypeOf<NotificationsData | undefined>();
    const alerts = useSystemAlerts({ limit: 5 });
    expectTypeOf(alerts.alerts).toEqualTypeOf<SystemAlert[]>();
    expectTypeOf(alerts.acknowledge).returns.resolves.toEqualTypeOf<AlertAcknowledged>();
    expectTypeOf(useDashboard().cards).toEqualTypeOf<ServerEventData<'dashboard:update'>['cards']>();
  });

  it('useEmit types requests, acks and errors by the catalog', () => {
    const emit = useEmit();
    expectTypeOf(emit('kpi:subscribe', { module: 'risk' })).resolves.toEqualTypeOf<
      ClientEventResponse<'kpi:subscribe'>
    >();
    expectTypeOf(emit('ping', { clientTime: 1 })).resolves.toEqualTypeOf<{ clientTime: number; serverTime: number }>();
    // @ts-expect-error the payload of kpi:subscribe needs a module
    void emit('kpi:subscribe', {});
    // @ts-expect-error not a client event
    void emit('kpi:update', {});
    expectTypeOf<RealtimeRequestError['code']>().toEqualTypeOf<ErrorCode>();
  });

  it('useRealtimeEvent and useRealtimeStream narrow payloads by event', () => {
    useRealtimeEvent('kpi:update', (data, message) => {
      expectTypeOf(data).toEqualTypeOf<KpiUpdate>();
      expectTypeOf(message.envelope.seq).toEqualTypeOf<number>();
      expectTypeOf(message.latencyMs).toEqualTypeOf<number>();
    });
    const stream = useRealtimeStream('kpi@tenant:acme:module:risk', { events: ['kpi:update'] });
    expectTypeOf(stream.data).toEqualTypeOf<KpiUpdate | undefined>();
    expectTypeOf(stream.lastMessage).toEqualTypeOf<RealtimeMessage<'kpi:update'> | null>();
    const any = useRealtimeStream('alerts@system');
    if (any.lastMessage?.event === 'alert:new')
      expectTypeOf(any.lastMessage.envelope.data).toEqualTypeOf<SystemAlert>();
  });

  it('useConnection reports the status set, and query keys are tuples', () => {
    expectTypeOf(useConnection().status).toEqualTypeOf<
      'connecting' | 'live' | 'polling' | 'offline' | 'unauthorized'
    >();
    expectTypeOf(useConnection().error).toEqualTypeOf<{ code: ErrorCode; message: string } | null>();
    expectTypeOf(realtimeKeys.kpis.module('risk')).toEqualTypeOf<readonly ['realtime', 'kpis', Module]>();
    expectTypeOf<ConnectErrorData['code']>().toEqualTypeOf<ErrorCode>();
  });
});
