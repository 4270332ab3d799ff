import { describe, expect, it } from 'vitest';
import { Histogram, percentile, spread } from './stats.js';

describe('percentile (nearest rank)', () => {
  it('picks the nearest rank of a sorted copy', () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 10)).toBe(1);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(10);
    expect(values[0]).toBe(5); // not sorted in place
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('Histogram', () => {
  it('agrees with the exact percentile to within its resolution', () => {
    const histogram = new Histogram(0.1, 1000);
    const values = Array.from({ length: 10_000 }, (_, i) => ((i * 7919) % 10_000) / 100); // 0 .. 99.99
    for (const value of values) histogram.record(value);
    for (const p of [50, 90, 99, 99.9]) {
      expect(Math.abs(histogram.percentile(p) - percentile(values, p))).toBeLessThanOrEqual(0.1);
    }
    const summary = histogram.summary();
    expect(summary.count).toBe(10_000);
    expect(summary.max).toBeCloseTo(99.99);
    expect(summary.mean).toBeCloseTo(49.995, 2);
  });

  it('keeps the exact max for values past its range, and clamps negatives to 0', () => {
    const histogram = new Histogram(1, 10);
    histogram.record(-3);
    histogram.record(5);
    histogram.record(250);
    expect(histogram.min).toBe(0);
    expect(histogram.max).toBe(250);
    expect(histogram.percentile(100)).toBe(250);
    expect(histogram.percentile(50)).toBe(6);
    expect(new Histogram().summary().p50).toBeNaN();
  });
});

describe('spread', () => {
  it('gives min, median and max over runs, ignoring runs that produced nothing', () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3, runs: [3, 1, 2] });
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
    expect(spread([Number.NaN, 5]).median).toBe(5);
    expect(spread([]).median).toBeNaN();
  });
});
