import { describe, expect, it } from 'vitest';
import { StreamCursors } from './streamCursors.js';

describe('StreamCursors', () => {
  it('applies in-order events and ignores replays by seq or id', () => {
    const cursors = new StreamCursors();
    expect(cursors.accept('kpi@tenant:acme:module:risk', 1, 'a')).toEqual({ kind: 'apply' });
    expect(cursors.accept('kpi@tenant:acme:module:risk', 2, 'b')).toEqual({ kind: 'apply' });
    expect(cursors.accept('kpi@tenant:acme:module:risk', 2, 'b')).toEqual({ kind: 'duplicate' });
    expect(cursors.accept('kpi@tenant:acme:module:risk', 1, 'z')).toEqual({ kind: 'duplicate' });
    expect(cursors.accept('alerts@system', 9, 'b')).toEqual({ kind: 'duplicate' });
    expect(cursors.get('kpi@tenant:acme:module:risk')).toBe(2);
  });

  it('reports a jump in sequence as a gap and moves on', () => {
    const cursors = new StreamCursors();
    cursors.accept('s', 4, 'a');
    expect(cursors.accept('s', 7, 'b')).toEqual({ kind: 'gap', expected: 5, received: 7 });
    expect(cursors.accept('s', 8, 'c')).toEqual({ kind: 'apply' });
  });

  it('aligns with server positions: ahead is a gap, behind is a reset', () => {
    const cursors = new StreamCursors();
    expect(cursors.align('s', 3)).toBe('ok');
    expect(cursors.align('s', 3)).toBe('ok');
    expect(cursors.align('s', 5)).toBe('gap');
    expect(cursors.align('s', 0)).toBe('reset');
    expect(cursors.accept('s', 1, 'fresh')).toEqual({ kind: 'apply' });
  });

  it('leaves a stream at position 0 (nothing published yet) to be started by its first event', () => {
    const cursors = new StreamCursors();
    expect(cursors.align('epoch', 0)).toBe('ok');
    expect(cursors.get('epoch')).toBeUndefined();
    // Servers may number a new epoch from any point: the first event is not a gap.
    expect(cursors.accept('epoch', 1_795_000_000_000_001, 'first')).toEqual({ kind: 'apply' });
  });

  it('snapshots at most the contract limit of cursors, and forgets old ids', () => {
    const cursors = new StreamCursors(2);
    for (let index = 0; index < 70; index += 1) cursors.accept(`s${index}`, 1, `id${index}`);
    expect(Object.keys(cursors.snapshot())).toHaveLength(64);
    cursors.delete('s0');
    expect(cursors.accept('s0', 1, 'id0')).toEqual({ kind: 'apply' });
  });
});
