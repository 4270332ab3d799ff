/**
 * One clock for every process of the bench: CLOCK_MONOTONIC in milliseconds (µs precision). It is
 * system-wide on Linux, so a publish time taken in the server child and a receive time taken in a
 * load child are comparable on the same machine.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
