import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Conflator, type Frame, mergeConflated } from './conflation.js';

const kpi = (key: string, value: number) => ({
  key,
  module: 'risk' as const,
  label: key,
  value,
  unit: 'count' as const,
  change: null,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('mergeConflated', () => {
  it('merges kpi:update by KPI key, latest value wins, first-seen order kept', () => {
    const merged = mergeConflated(
      'kpi:update',
      { tenantId: 'acme', module: 'risk', kpis: [kpi('a', 1), kpi('b', 1)] },
      { tenantId: 'acme', module: 'risk', kpis: [kpi('b', 2), kpi('c', 2)] },
    );
    expect(merged?.kpis.map(({ key, value }) => [key, value])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 2],
    ]);
  });

  it('refuses a merge that would exceed the 100 KPIs one update may carry', () => {
    const many = (prefix: string) => Array.from({ length: 60 }, (_, index) => kpi(`${prefix}${index}`, index));
    expect(
      mergeConflated(
        'kpi:update',
        { tenantId: 'acme', module: 'risk', kpis: many('a') },
        { tenantId: 'acme', module: 'risk', kpis: many('b') },
      ),
    ).toBeUndefined();
  });

  it('keeps only the latest dashboard:update', () => {
    const summary = (value: number) => ({
      tenantId: 'acme',
      role: 'ADMIN' as const,
      cards: [kpi('a', value)],
      topKpis: [],
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(mergeConflated('dashboard:update', summary(1), summary(2))).toEqual(summary(2));
  });
});

/** Numbers frames as they are sent, as the publisher does. */
function send(sent: Frame[], frame: Frame) {
  sent.push(frame);
  return Promise.resolve({ id: frame.id, stream: frame.stream, seq: sent.length });
}

describe('Conflator', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('emits one frame per stream per window, never later than the window after the first publish', () => {
    const emitted: Frame[] = [];
    const conflator = new Conflator(50, (frame) => send(emitted, frame));
    const base = { event: 'kpi:update' as const, room: 'r', stream: 's', id: 'id1' };
    conflator.open({ ...base, data: { tenantId: 'acme', module: 'risk', kpis: [kpi('a', 1)] }, publishedAt: [0] });
    vi.advanceTimersByTime(30);
    expect(
      conflator.tryMerge('s', 'kpi:update', { tenantId: 'acme', module: 'risk', kpis: [kpi('a', 2)] }, 30),
    ).toBeDefined();
    vi.advanceTimersByTime(19);
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({
      id: 'id1',
      publishedAt: [0, 30],
      data: { kpis: [{ key: 'a', value: 2 }] },
    });
    expect(conflator.pending('s')).toBeUndefined();
  });

  it('lets a quiet stream send at once, and holds the next frame until one window after the last', () => {
    const emitted: Frame[] = [];
    const conflator = new Conflator(50, (frame) => send(emitted, frame));
    const frame = { event: 'kpi:update' as const, room: 'r', stream: 's', id: 'id2', publishedAt: [20] };
    expect(conflator.quiet('s')).toBe(true);
    conflator.emitted('s');
    expect(conflator.quiet('s')).toBe(false);
    vi.advanceTimersByTime(20);
    conflator.open({ ...frame, data: { tenantId: 'acme', module: 'risk', kpis: [kpi('a', 1)] } });
    expect(conflator.quiet('s')).toBe(false);
    vi.advanceTimersByTime(29);
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(emitted).toHaveLength(1);
    expect(conflator.quiet('s')).toBe(false);
    vi.advanceTimersByTime(50);
    expect(conflator.quiet('s')).toBe(true);
  });

  it('flush() sends a pending frame at once and cancels its timer', async () => {
    const emitted: Frame[] = [];
    const conflator = new Conflator(50, (frame) => send(emitted, frame));
    const pending = conflator.open({
      event: 'dashboard:update',
      room: 'r',
      stream: 's',
      id: 'x',
      data: {},
      publishedAt: [0],
    });
    conflator.flush('s');
    vi.advanceTimersByTime(100);
    expect(emitted).toHaveLength(1);
    // Every publish folded into the frame learns its number once it is sent.
    await expect(pending.sent).resolves.toEqual({ id: 'x', stream: 's', seq: 1 });
  });
});
