export { type BackoffOptions, backoffDelay, defaultBackoff } from './backoff.js';
export {
  applyAlertAcknowledged,
  applyAlertNew,
  applyDashboardUpdate,
  applyKpiUpdate,
  applyNotificationNew,
  applyNotificationsRead,
  type NotificationsData,
  optimisticRead,
} from './cacheUpdates.js';
export { ClockOffset, type ClockSample } from './clock.js';
export { isRealtimeRequestError, RealtimeRequestError } from './errors.js';
export { realtimeKeys } from './queryKeys.js';
export {
  acknowledgeAlertMutation,
  alertsQuery,
  dashboardQuery,
  kpisQuery,
  type MarkReadRollback,
  type MarkReadTarget,
  markReadMutation,
  notificationsInfiniteQuery,
  unreadCountQuery,
} from './queryOptions.js';
export { QueryCacheSync, queryKeysForStream } from './querySync.js';
export {
  type BrowserEnvironment,
  type ConnectionState,
  type ConnectionStatus,
  RealtimeClient,
  type RealtimeClientOptions,
  type RealtimeMessage,
  type StaleReason,
} from './realtimeClient.js';
export { type GetToken, RestClient, type RestClientOptions } from './restClient.js';
export { type CursorVerdict, StreamCursors } from './streamCursors.js';
export { StreamObserver, type StreamObserverResult } from './streamObserver.js';
export { Subscribable } from './subscribable.js';
