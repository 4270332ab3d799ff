import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionExpiry } from './session.js';
import type { RealtimeSocket } from './types.js';

const socket = (id: string) => ({ id }) as unknown as RealtimeSocket;

describe('SessionExpiry', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends each session once its token has expired, in expiry order, with one timer', () => {
    const ended: string[] = [];
    const expiry = new SessionExpiry((s) => ended.push(s.id));
    expiry.schedule(socket('late'), 1_003_000);
    expiry.schedule(socket('early-a'), 1_001_000);
    expiry.schedule(socket('early-b'), 1_001_000);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ended).toEqual(['early-a', 'early-b']);
    vi.advanceTimersByTime(2_000);
    expect(ended).toEqual(['early-a', 'early-b', 'late']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not end a cancelled session, and keeps the others', () => {
    const ended: string[] = [];
    const expiry = new SessionExpiry((s) => ended.push(s.id));
    const gone = socket('gone');
    expiry.schedule(gone, 1_001_000);
    expiry.schedule(socket('kept'), 1_002_000);
    expiry.cancel(gone, 1_001_000);
    expiry.cancel(socket('never-scheduled'), null);
    vi.advanceTimersByTime(5_000);
    expect(ended).toEqual(['kept']);
  });

  it('ends at once a session whose token is already expired', () => {
    const ended: string[] = [];
    const expiry = new SessionExpiry((s) => ended.push(s.id));
    expiry.schedule(socket('stale'), 999_000);
    vi.advanceTimersByTime(0);
    expect(ended).toEqual(['stale']);
  });

  it('re-arms for an earlier expiry scheduled later, and for expiries beyond the longest timer', () => {
    const ended: string[] = [];
    const expiry = new SessionExpiry((s) => ended.push(s.id));
    const far = 1_000_000 + 40 * 24 * 3_600_000; // past setTimeout's ~24.8-day limit
    expiry.schedule(socket('far'), far);
    expiry.schedule(socket('soon'), 1_000_500);
    vi.advanceTimersByTime(500);
    expect(ended).toEqual(['soon']);
    vi.advanceTimersByTime(30 * 24 * 3_600_000);
    expect(ended).toEqual(['soon']);
    vi.advanceTimersByTime(10 * 24 * 3_600_000);
    expect(ended).toEqual(['soon', 'far']);
  });

  it('cancelAll clears every pending expiry', () => {
    const ended: string[] = [];
    const expiry = new SessionExpiry((s) => ended.push(s.id));
    expiry.schedule(socket('a'), 1_001_000);
    expiry.cancelAll();
    vi.advanceTimersByTime(5_000);
    expect(ended).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
