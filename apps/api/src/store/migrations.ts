import type { SqlDriver } from './driver.js';
import { StoreError } from './errors.js';

/**
 * The schema, as ordered migrations. Released migrations are never edited: a change is a new
 * entry with the next version. Each runs in the same transaction as its record in
 * `schema_migrations`, so a failed migration leaves nothing behind. The SQL is plain PostgreSQL
 * 15+ and runs unchanged on PGlite.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'notifications, alerts and kpis',
    statements: [
      // `seq` is the insertion order; "mark all read" records a watermark on it. `audience_key` is
      // 'tenant', 'user:<userId>' or 'role:<role>', so visibility is one indexed `= ANY(...)`.
      `CREATE TABLE notifications (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        tenant_id text NOT NULL,
        audience_key text NOT NULL,
        audience jsonb NOT NULL,
        severity text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        activity jsonb,
        action jsonb,
        created_at timestamptz NOT NULL
      )`,
      'CREATE INDEX notifications_feed_idx ON notifications (tenant_id, created_at DESC, id DESC)',
      'CREATE INDEX notifications_audience_idx ON notifications (tenant_id, audience_key, seq)',
      // One row per notification a user read one by one.
      `CREATE TABLE notification_reads (
        tenant_id text NOT NULL,
        user_id text NOT NULL,
        notification_id text NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
        read_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, user_id, notification_id)
      )`,
      'CREATE INDEX notification_reads_notification_idx ON notification_reads (notification_id)',
      // One row per effective "mark all read": everything with seq <= up_to_seq was read at read_at.
      `CREATE TABLE notification_read_marks (
        tenant_id text NOT NULL,
        user_id text NOT NULL,
        up_to_seq bigint NOT NULL,
        read_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, user_id, up_to_seq)
      )`,
      // tenant_id NULL: system-wide.
      `CREATE TABLE alerts (
        id text PRIMARY KEY,
        tenant_id text,
        severity text NOT NULL,
        category text NOT NULL,
        title text NOT NULL,
        message text NOT NULL,
        module text,
        created_at timestamptz NOT NULL
      )`,
      'CREATE INDEX alerts_tenant_idx ON alerts (tenant_id, created_at DESC, id DESC)',
      // Acknowledgement is per tenant, also for system-wide alerts.
      `CREATE TABLE alert_acks (
        alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        tenant_id text NOT NULL,
        acknowledged_by text NOT NULL,
        acknowledged_at timestamptz NOT NULL,
        PRIMARY KEY (alert_id, tenant_id)
      )`,
      // Latest value per KPI, with its recent values (oldest first) in the same row: one upsert per
      // KPI keeps both, bounded, with no separate history table to prune.
      `CREATE TABLE kpis (
        tenant_id text NOT NULL,
        module text NOT NULL,
        key text NOT NULL,
        label text NOT NULL,
        value double precision NOT NULL,
        unit text NOT NULL,
        currency text,
        change double precision,
        updated_at timestamptz NOT NULL,
        history double precision[] NOT NULL,
        PRIMARY KEY (tenant_id, module, key)
      )`,
    ],
  },
];

/** Advisory lock (class, key) held while migrating, so that processes starting together take turns. */
const MIGRATION_LOCK = [0x7274, 1] as const;

/** Applies the pending migrations in order; returns the versions it applied (none when up to date). */
export async function migrate(driver: SqlDriver, all: readonly Migration[] = migrations): Promise<number[]> {
  return driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [...MIGRATION_LOCK]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const rows = await tx.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations');
    const applied = new Map(rows.map((row) => [row.version, row.name]));
    const known = new Set(all.map((migration) => migration.version));
    const unknown = [...applied.keys()].filter((version) => !known.has(version));
    if (unknown.length > 0) {
      throw new StoreError('INTERNAL', `the database has migrations this build does not know: ${unknown.join(', ')}`);
    }
    const done: number[] = [];
    for (const migration of [...all].sort((a, b) => a.version - b.version)) {
      const name = applied.get(migration.version);
      if (name !== undefined) {
        if (name !== migration.name) {
          throw new StoreError(
            'INTERNAL',
            `migration ${migration.version} is recorded as "${name}" but this build calls it "${migration.name}"`,
          );
        }
        continue;
      }
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      done.push(migration.version);
    }
    return done;
  });
}
