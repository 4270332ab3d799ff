import { describe, expect, it } from 'vitest';
import { ClockOffset } from './clock.js';

describe('ClockOffset', () => {
  it('estimates the offset from the round trip with the shortest delay', () => {
    const clock = new ClockOffset();
    // Server runs 1000 ms ahead. A slow, asymmetric round trip first, then a fast one.
    expect(clock.add({ sentAt: 0, serverTime: 1_300, receivedAt: 400 })).toBe(400);
    expect(clock.add({ sentAt: 1_000, serverTime: 2_010, receivedAt: 1_020 })).toBe(20);
    expect(clock.offsetMs).toBe(1_000);
  });

  it('corrects delivery latency by the offset and never reports a negative one', () => {
    const clock = new ClockOffset();
    clock.add({ sentAt: 0, serverTime: 1_005, receivedAt: 10 });
    // Stamped at server 5_000 (client 4_000), received at client 4_030.
    expect(clock.deliveryLatency(5_000, 4_030)).toBe(30);
    expect(clock.deliveryLatency(5_000, 3_000)).toBe(0);
  });

  it('uses a seed until pings arrive, then forgets it', () => {
    const clock = new ClockOffset();
    expect(clock.offsetMs).toBe(0);
    clock.seed(10_500, 10_000);
    expect(clock.offsetMs).toBe(500);
    clock.add({ sentAt: 0, serverTime: 210, receivedAt: 20 });
    expect(clock.offsetMs).toBe(200);
  });
});
