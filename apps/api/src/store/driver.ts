/**
 * The one seam between the store and a database: PGlite (embedded) and node-postgres implement it,
 * and every SQL statement of the store runs unchanged on both.
 */
export interface SqlExecutor {
  /** Runs one statement with `$1..$n` parameters and returns its rows (as the driver parsed them). */
  query<TRow>(sql: string, params?: readonly unknown[]): Promise<TRow[]>;
}

export type DriverKind = 'pglite' | 'postgres';

export interface SqlDriver extends SqlExecutor {
  readonly kind: DriverKind;
  /**
   * Every statement and transaction runs alone, one after another (PGlite: one connection). Then
   * nothing can interleave with a single statement, and locks taken only to order it against
   * concurrent transactions are moot.
   */
  readonly serialized: boolean;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Idempotent; afterwards every call fails with `UNAVAILABLE`. */
  close(): Promise<void>;
}
