import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A new ULID: sortable by creation time (monotonic within a millisecond), matches the contract's EntityId. */
export function newId(at: number = Date.now()): string {
  return nextUlid(at);
}

/** Both drivers parse timestamptz to Date; this also accepts the text form, to not depend on it. */
export function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function toIsoOrNull(value: Date | string | null): string | null {
  return value === null ? null : toIso(value);
}

/**
 * JSON for a `$n::text::jsonb` parameter. Sent as text on purpose: node-postgres would turn a JS
 * array into a PostgreSQL array, and PGlite would stringify a string a second time.
 */
export function jsonParam(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}
