import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeAck, encodeConnect, encodeEvent, scanValues, socketIoUrl } from './protocol.js';

describe('the Engine.IO / Socket.IO codec', () => {
  it('encodes connect, events with and without acks, and acks', () => {
    expect(encodeConnect()).toBe('40');
    expect(encodeConnect({ token: 't', protocol: 1 })).toBe('40{"token":"t","protocol":1}');
    expect(encodeEvent('join', ['room'])).toBe('42["join","room"]');
    expect(encodeEvent('kpi:subscribe', [{ module: 'lending' }], 7)).toBe('427["kpi:subscribe",{"module":"lending"}]');
    expect(encodeAck(12, [{ ok: true }])).toBe('4312[{"ok":true}]');
    expect(socketIoUrl('127.0.0.1', 3000)).toBe('ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket');
  });

  it('decodes the handshake, heartbeats, connect and connect errors', () => {
    expect(decodeFrame('0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1e6}')).toEqual(
      {
        kind: 'open',
        data: { sid: 'a', upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1e6 },
      },
    );
    expect(decodeFrame('2')).toEqual({ kind: 'ping' });
    expect(decodeFrame('3')).toEqual({ kind: 'pong' });
    expect(decodeFrame('1')).toEqual({ kind: 'close' });
    expect(decodeFrame('40{"sid":"x"}')).toEqual({ kind: 'connect', data: { sid: 'x' } });
    expect(decodeFrame('44{"message":"no"}')).toEqual({ kind: 'connect_error', data: { message: 'no' } });
    expect(decodeFrame('41')).toEqual({ kind: 'disconnect' });
  });

  it('decodes events and acks, with multi-digit ack ids and a namespace', () => {
    expect(decodeFrame('42["kpi:update",{"seq":1}]')).toEqual({
      kind: 'event',
      name: 'kpi:update',
      args: [{ seq: 1 }],
      ackId: undefined,
    });
    expect(decodeFrame('42123["ping",1,2]')).toEqual({ kind: 'event', name: 'ping', args: [1, 2], ackId: 123 });
    expect(decodeFrame('430[{"ok":true}]')).toEqual({ kind: 'ack', ackId: 0, args: [{ ok: true }] });
    expect(decodeFrame('42/admin,5["x"]')).toEqual({ kind: 'event', name: 'x', args: [], ackId: 5 });
    expect(decodeFrame('zzz')).toEqual({ kind: 'unknown', text: 'zzz' });
  });

  it('round-trips what it encodes', () => {
    const frame = decodeFrame(encodeEvent('a', [{ b: [1, 'c'] }, null], 42));
    expect(frame).toEqual({ kind: 'event', name: 'a', args: [{ b: [1, 'c'] }, null], ackId: 42 });
  });

  it('scans every KPI value out of a frame without parsing it', () => {
    const values: number[] = [];
    const text = encodeEvent('kpi:update', [
      { seq: 3, data: { kpis: [{ key: 'a', value: 1234.5678 }, { key: 'b', value: -2e-3 }, { value: 7 }] } },
    ]);
    expect(scanValues(text, (value) => values.push(value))).toBe(3);
    expect(values).toEqual([1234.5678, -2e-3, 7]);
    expect(scanValues('42["x",{"value":null}]', () => undefined)).toBe(0);
  });
});
