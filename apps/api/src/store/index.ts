export type { DriverKind, SqlDriver, SqlExecutor } from './driver.js';
export { isStoreError, StoreError } from './errors.js';
export { KPI_HISTORY_LENGTH } from './kpis.js';
export { type Migration, migrate, migrations } from './migrations.js';
export { openPgliteDriver } from './pgliteDriver.js';
export { openPostgresDriver, type PostgresDriverOptions } from './postgresDriver.js';
export { createStore, createStoreOn, openDriver } from './store.js';
export type {
  CreateAlertInput,
  CreateNotificationInput,
  NotificationsListQuery,
  Store,
  StoreOptions,
  Viewer,
} from './types.js';
