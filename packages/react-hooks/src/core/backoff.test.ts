import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('grows the ceiling exponentially and caps it', () => {
    const top = () => 0.999_999;
    expect(backoffDelay(0, { baseMs: 100, maxMs: 10_000 }, top)).toBe(99);
    expect(backoffDelay(1, { baseMs: 100, maxMs: 10_000 }, top)).toBe(199);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10_000 }, top)).toBe(799);
    expect(backoffDelay(10, { baseMs: 100, maxMs: 10_000 }, top)).toBe(9_999);
    expect(backoffDelay(1_000, { baseMs: 100, maxMs: 10_000 }, top)).toBe(9_999);
  });

  it('draws uniformly from the whole window (full jitter)', () => {
    expect(backoffDelay(4, { baseMs: 100, maxMs: 10_000 }, () => 0)).toBe(0);
    expect(backoffDelay(4, { baseMs: 100, maxMs: 10_000 }, () => 0.5)).toBe(800);
  });

  it('spreads a crowd of clients instead of bunching them', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const delays = Array.from({ length: 200 }, () => backoffDelay(5, {}, random));
    expect(new Set(delays).size).toBeGreaterThan(150);
    expect(Math.max(...delays)).toBeLessThan(500 * 2 ** 5);
  });
});
