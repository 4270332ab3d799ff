import { alertMethods } from './alerts.js';
import type { SqlDriver } from './driver.js';
import { toStoreError } from './errors.js';
import { kpiMethods } from './kpis.js';
import { migrate } from './migrations.js';
import { notificationMethods } from './notifications.js';
import { openPgliteDriver } from './pgliteDriver.js';
import { openPostgresDriver } from './postgresDriver.js';
import type { Store, StoreOptions } from './types.js';

/** Opens the driver `options` name: PostgreSQL when `databaseUrl` is set, PGlite otherwise. */
export async function openDriver(options: StoreOptions): Promise<SqlDriver> {
  if (options.databaseUrl) {
    return openPostgresDriver({
      connectionString: options.databaseUrl,
      ...(options.schema ? { schema: options.schema } : {}),
    });
  }
  return openPgliteDriver(options.dataDir ?? 'memory://');
}

/** Every store error surfaces as a `StoreError`, whichever driver threw it. */
function guarded<TArgs extends unknown[], TResult>(
  method: (...args: TArgs) => Promise<TResult>,
): (...args: TArgs) => Promise<TResult> {
  return async (...args) => {
    try {
      return await method(...args);
    } catch (error) {
      throw toStoreError(error);
    }
  };
}

/** Wraps an open driver: applies the pending migrations, then serves the store's methods. */
export async function createStoreOn(driver: SqlDriver): Promise<Store> {
  try {
    await migrate(driver);
  } catch (error) {
    await driver.close().catch(() => {});
    throw toStoreError(error);
  }
  const notifications = notificationMethods(driver);
  const alerts = alertMethods(driver);
  const kpis = kpiMethods(driver);
  return {
    kind: driver.kind,
    ping: guarded(async () => {
      await driver.query('SELECT 1');
    }),
    close: guarded(() => driver.close()),
    createNotification: guarded(notifications.createNotification),
    listNotifications: guarded(notifications.listNotifications),
    unreadCount: guarded(notifications.unreadCount),
    markRead: guarded(notifications.markRead),
    markAllRead: guarded(notifications.markAllRead),
    createAlert: guarded(alerts.createAlert),
    listAlerts: guarded(alerts.listAlerts),
    acknowledgeAlert: guarded(alerts.acknowledgeAlert),
    upsertKpis: guarded(kpis.upsertKpis),
    getKpis: guarded(kpis.getKpis),
    getLatestKpis: guarded(kpis.getLatestKpis),
  };
}

/**
 * The durable store: PGlite in `dataDir` (default `memory://`), or PostgreSQL at `databaseUrl`,
 * with the same SQL and migrations. Throws `StoreError('UNAVAILABLE')` when the database cannot be
 * reached.
 */
export async function createStore(options: StoreOptions = {}): Promise<Store> {
  let driver: SqlDriver;
  try {
    driver = await openDriver(options);
  } catch (error) {
    throw toStoreError(error);
  }
  return createStoreOn(driver);
}
