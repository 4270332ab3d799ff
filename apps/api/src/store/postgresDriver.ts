import pg from 'pg';
import type { SqlDriver, SqlExecutor } from './driver.js';
import { closedError, StoreError } from './errors.js';

const UNIQUE_VIOLATION = '23505';

export interface PostgresDriverOptions {
  connectionString: string;
  /**
   * A schema to create (if missing) and put first on every connection's `search_path`, so that
   * several test runs can share one database without seeing each other's tables.
   */
  schema?: string;
  /** Pool size; default 10. */
  maxConnections?: number;
  /** How long to wait for a connection before failing with `UNAVAILABLE`; default 5 s. */
  connectionTimeoutMs?: number;
}

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/;

/** A real PostgreSQL through a node-postgres pool. */
export async function openPostgresDriver(options: PostgresDriverOptions): Promise<SqlDriver> {
  const { schema } = options;
  if (schema !== undefined && !schemaName.test(schema)) {
    throw StoreError.invalid(`schema must match ${schemaName}`);
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'realtime-api',
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that loses its connection emits here; without a listener the process would
  // crash. The pool discards that client, and the next query reconnects or fails UNAVAILABLE.
  pool.on('error', () => {});
  let closed = false;

  const run = async <TRow>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[]) => {
    const result = await client.query(sql, [...params]);
    return result.rows as TRow[];
  };

  const driver: SqlDriver = {
    kind: 'postgres',
    serialized: false,
    async query<TRow>(sql: string, params: readonly unknown[] = []) {
      if (closed) throw closedError();
      return run<TRow>(pool, sql, params);
    },
    async transaction(work) {
      if (closed) throw closedError();
      const client = await pool.connect();
      const tx: SqlExecutor = { query: (sql, params = []) => run(client, sql, params) };
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // A connection that cannot even roll back is not given back to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };

  try {
    if (schema) {
      // IF NOT EXISTS is not safe against a second process creating the schema at the same
      // moment; PostgreSQL then reports a unique violation, which means it exists: fine.
      await driver.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
      });
    } else await driver.query('SELECT 1');
  } catch (error) {
    await driver.close();
    throw error;
  }
  return driver;
}
