import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { SqlDriver, SqlExecutor } from './driver.js';
import { closedError } from './errors.js';

/**
 * PGlite: PostgreSQL compiled to WASM, in this process. `dataDir` is a folder (created when
 * missing) or `memory://` for a database that lives as long as the driver.
 */
export async function openPgliteDriver(dataDir: string): Promise<SqlDriver> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(dataDir.replace(/^file:\/\//, ''), { recursive: true });
  const db = await PGlite.create(dataDir);
  let closed = false;

  const executor = (target: Pick<PGlite, 'query'>): SqlExecutor => ({
    async query<TRow>(sql: string, params: readonly unknown[] = []) {
      if (closed) throw closedError();
      const result = await target.query<TRow>(sql, [...params]);
      return result.rows;
    },
  });
  const root = executor(db);

  return {
    kind: 'pglite',
    serialized: true,
    query: root.query,
    async transaction(work) {
      if (closed) throw closedError();
      // PGlite runs one connection: its transaction() holds an exclusive lock, so queries made
      // outside `tx` while it runs wait for it (never interleave with it).
      return db.transaction((tx) => work(executor(tx)));
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
