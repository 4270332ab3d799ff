/**
 * A fixed-resolution latency histogram: O(1) to record, bounded memory whatever the sample count,
 * exact to `resolutionMs`. Values past the last bucket land in an overflow bucket (max is exact).
 */
export class Histogram {
  readonly #buckets: Uint32Array;
  readonly #resolution: number;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(resolutionMs = 0.05, maxMs = 60_000) {
    this.#resolution = resolutionMs;
    this.#buckets = new Uint32Array(Math.ceil(maxMs / resolutionMs) + 1);
  }

  record(value: number): void {
    const v = Math.max(0, value);
    const index = Math.min(Math.floor(v / this.#resolution), this.#buckets.length - 1);
    this.#buckets[index] = (this.#buckets[index] ?? 0) + 1;
    this.count += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** The value at percentile `p` (0-100): the upper edge of the bucket holding that rank. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let index = 0; index < this.#buckets.length; index += 1) {
      seen += this.#buckets[index] ?? 0;
      if (seen >= rank) {
        return index === this.#buckets.length - 1 ? this.max : Math.min((index + 1) * this.#resolution, this.max);
      }
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      mean: this.count === 0 ? Number.NaN : this.sum / this.count,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.count === 0 ? Number.NaN : this.max,
    };
  }
}

export type LatencySummary = { count: number; mean: number; p50: number; p95: number; p99: number; max: number };

/** Exact percentile of a small sample (nearest rank), e.g. over repeated runs or browser events. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export type Spread = { min: number; median: number; max: number; runs: number[] };

/** min / median / max over repeated runs. */
export function spread(runs: readonly number[]): Spread {
  const finite = runs.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, runs: [...runs] };
  const sorted = [...finite].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { min: sorted[0] as number, median, max: sorted[sorted.length - 1] as number, runs: [...runs] };
}
