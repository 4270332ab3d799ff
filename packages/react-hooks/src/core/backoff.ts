/** Options of the reconnect backoff. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry, in ms. Default 500. */
  baseMs?: number;
  /** Upper bound of any delay, in ms. Default 30 000. */
  maxMs?: number;
}

export const defaultBackoff: Required<BackoffOptions> = { baseMs: 500, maxMs: 30_000 };

/**
 * Exponential backoff with full jitter: a uniformly random delay in `[0, min(max, base * 2^attempt))`.
 * Full jitter spreads a crowd of clients over the whole window, so a server restart is not met by
 * all of them in the same second.
 *
 * @param attempt 0 for the first retry.
 * @param random a source of numbers in [0, 1); `Math.random` by default.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { baseMs, maxMs } = { ...defaultBackoff, ...options };
  const exponent = Math.min(Math.max(0, attempt), 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}
