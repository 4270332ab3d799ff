import { describe, expect, it } from 'vitest';
import { type StreamEntry, StreamLog } from './streams.js';

const entry = (stream: string, seq: number, ts = Date.now()): StreamEntry => ({
  event: 'kpi:update',
  envelope: { id: `e${seq}`, stream, seq, ts, data: null },
});

function emit(log: StreamLog, stream: string, count: number, ts?: number): void {
  for (let index = 0; index < count; index += 1) log.record(entry(stream, log.next(stream), ts));
}

describe('StreamLog', () => {
  it('numbers each stream on its own, from 1', () => {
    const log = new StreamLog({ sequenceStart: () => 0 });
    emit(log, 'a', 3);
    emit(log, 'b', 1);
    expect([log.position('a'), log.position('b'), log.position('c')]).toEqual([3, 1, 0]);
  });

  it('keeps only the last bufferSize entries, in order, across the ring wrap', () => {
    const log = new StreamLog({ sequenceStart: () => 0, bufferSize: 4 });
    emit(log, 's', 10);
    const plan = log.plan('s', 6);
    expect(plan.kind === 'replay' && plan.entries.map(({ envelope }) => envelope.seq)).toEqual([7, 8, 9, 10]);
    expect(log.plan('s', 5)).toEqual({ kind: 'resync', reason: 'gap' });
  });

  it('plans nothing for an up-to-date cursor, and resync for a cursor ahead of the stream or an unknown stream', () => {
    const log = new StreamLog({ sequenceStart: () => 0 });
    emit(log, 's', 2);
    expect(log.plan('s', 2)).toEqual({ kind: 'replay', entries: [] });
    expect(log.plan('s', 3)).toEqual({ kind: 'resync', reason: 'unknown_stream' });
    expect(log.plan('nope', 1)).toEqual({ kind: 'resync', reason: 'unknown_stream' });
    expect(log.plan('nope', 0)).toEqual({ kind: 'replay', entries: [] });
  });

  it('refuses to replay entries older than maxAgeMs', () => {
    const log = new StreamLog({ sequenceStart: () => 0, maxAgeMs: 1_000 });
    emit(log, 's', 2, Date.now() - 5_000);
    expect(log.plan('s', 1)).toEqual({ kind: 'resync', reason: 'expired' });
  });

  it('with bufferSize 0, can only say "up to date" or "resync"', () => {
    const log = new StreamLog({ sequenceStart: () => 0, bufferSize: 0 });
    emit(log, 's', 2);
    expect(log.plan('s', 2)).toEqual({ kind: 'replay', entries: [] });
    expect(log.plan('s', 1)).toEqual({ kind: 'resync', reason: 'gap' });
  });

  it('does not count a reserved but not yet emitted number as a position', () => {
    const log = new StreamLog({ sequenceStart: () => 0 });
    emit(log, 's', 1);
    log.next('s'); // a conflated frame, pending
    expect(log.position('s')).toBe(1);
    expect(log.plan('s', 1)).toEqual({ kind: 'replay', entries: [] });
  });

  it('records entries from other nodes: sequences continue after them, late duplicates are refused', () => {
    const log = new StreamLog({ sequenceStart: () => 0 });
    expect(log.record(entry('s', 1))).toBe(true);
    expect(log.record(entry('s', 2))).toBe(true);
    expect(log.record(entry('s', 2))).toBe(false);
    expect(log.position('s')).toBe(2);
    expect(log.next('s')).toBe(3);
    const plan = log.plan('s', 0);
    expect(plan.kind === 'replay' && plan.entries.map(({ envelope }) => envelope.seq)).toEqual([1, 2]);
  });
});

describe('StreamLog.prune', () => {
  it('frees aged entries and then answers their cursors with an expired resync', () => {
    const log = new StreamLog({ sequenceStart: () => 0, maxAgeMs: 1_000 });
    const now = Date.now();
    emit(log, 's', 3, now - 5_000);
    emit(log, 's', 2, now);
    log.prune(now);
    expect(log.plan('s', 1)).toEqual({ kind: 'resync', reason: 'expired' });
    const plan = log.plan('s', 3, now);
    expect(plan.kind === 'replay' && plan.entries.map(({ envelope }) => envelope.seq)).toEqual([4, 5]);
    expect(log.position('s')).toBe(5);
  });

  it('numbers a stream from the shared counter, and in a new epoch of its own while it is unreachable', () => {
    const log = new StreamLog({ sequenceStart: () => 0 });
    log.adopt('s', 41, true); // a position read from the counter
    expect(log.position('s')).toBe(41);
    log.adopt('s', 42);
    expect(log.record(entry('s', 42))).toBe(true);
    const epoch = 1_000_000;
    expect([log.nextDiverged('s', epoch), log.nextDiverged('s', epoch)]).toEqual([epoch + 1, epoch + 2]);
    expect(log.takeDiverged('s')).toBe(true);
    expect(log.takeDiverged('s')).toBe(false);
    expect(log.highest('s')).toBe(epoch + 2);
  });

  it('refuses to replay across a number it never recorded', () => {
    const log = new StreamLog({ sequenceStart: () => 0 });
    for (const seq of [1, 2, 4, 5]) log.record(entry('s', seq));
    expect(log.plan('s', 1)).toEqual({ kind: 'resync', reason: 'gap' }); // 2, then 4: 3 is missing
    const plan = log.plan('s', 3);
    expect(plan.kind === 'replay' && plan.entries.map(({ envelope }) => envelope.seq)).toEqual([4, 5]);
  });

  it('knows when another node announces an entry it missed, once per announcement', () => {
    const log = new StreamLog({ sequenceStart: () => 0 });
    for (const seq of [1, 2, 3]) log.record(entry('s', seq));
    expect(log.missed('s', 2, 'e2')).toBe(false); // recorded, same entry
    expect(log.missed('s', 2, 'another')).toBe(true); // same number, another entry: numbered apart
    expect(log.missed('s', 2, 'another')).toBe(false);
    expect(log.missed('s', 5, 'e5')).toBe(true); // beyond what arrived here
    expect(log.missed('s', 5, 'e5')).toBe(false);
    expect(log.record(entry('s', 4))).toBe(false); // its clients were told to resync past it
    expect(log.missed('unknown', 9, 'x')).toBe(false); // nobody here follows that stream
  });
});
