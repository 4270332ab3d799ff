import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Reorderer } from './reorder.js';
import { type StreamEntry, StreamLog } from './streams.js';

const entry = (seq: number): StreamEntry => ({
  event: 'kpi:update',
  envelope: { id: `e${seq}`, stream: 'kpi@r', seq, ts: Date.now(), data: null },
});

function setup() {
  const log = new StreamLog({ sequenceStart: () => 0 });
  const sent: number[] = [];
  const reorderer = new Reorderer(100, log, (_room, e) => {
    if (log.record(e)) sent.push(e.envelope.seq);
  });
  return { log, sent, reorderer };
}

describe('Reorderer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('holds an entry that arrives ahead of a missing number until that number comes', () => {
    const { sent, reorderer } = setup();
    reorderer.accept('r', entry(1));
    reorderer.accept('r', entry(3));
    reorderer.accept('r', entry(4));
    expect(sent).toEqual([1]);
    reorderer.accept('r', entry(2));
    expect(sent).toEqual([1, 2, 3, 4]);
  });

  it('sends what it holds, in order, once the window is over and the number never came', () => {
    const { sent, reorderer } = setup();
    reorderer.accept('r', entry(1));
    reorderer.accept('r', entry(4));
    reorderer.accept('r', entry(3));
    vi.advanceTimersByTime(99);
    expect(sent).toEqual([1]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([1, 3, 4]);
  });

  it('does not wait across a wide gap (a new epoch), nor on a stream it has not seen', () => {
    const { sent, reorderer } = setup();
    reorderer.accept('r', entry(5)); // first entry of the stream here
    reorderer.accept('r', entry(1_000_000)); // an epoch jump
    expect(sent).toEqual([5, 1_000_000]);
  });
});
