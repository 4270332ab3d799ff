export {
  type ConnectionState,
  type ConnectionStatus,
  type GetToken,
  isRealtimeRequestError,
  type NotificationsData,
  RealtimeClient,
  type RealtimeClientOptions,
  type RealtimeMessage,
  RealtimeRequestError,
  realtimeKeys,
} from './core/index.js';
export { RealtimeProvider, type RealtimeProviderProps, useRealtimeClient } from './RealtimeProvider.js';
export { useConnection, useConnectionStatus } from './useConnection.js';
export { type UseDashboardResult, useDashboard } from './useDashboard.js';
export { type Emit, useEmit } from './useEmit.js';
export { type UseKpisResult, useKpis } from './useKpis.js';
export { type UseNotificationsOptions, type UseNotificationsResult, useNotifications } from './useNotifications.js';
export { useRealtimeEvent } from './useRealtimeEvent.js';
export { type RealtimeStreamResult, useRealtimeStream } from './useRealtimeStream.js';
export { type UseSystemAlertsOptions, type UseSystemAlertsResult, useSystemAlerts } from './useSystemAlerts.js';
