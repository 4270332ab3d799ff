import { type ClientEventName, clientEvents } from '@org/contracts';
import fc from 'fast-check';

/** Nested arrays/objects `depth` levels deep. */
export function nest(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 'core';
  for (let i = 0; i < depth; i += 1) value = kind === 'array' ? [value] : { a: value };
  return value;
}

const pollution = [
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"__proto__":{"toString":"x","hasOwnProperty":1}}',
  '{"prototype":{"isAdmin":true},"__defineGetter__":1}',
];

/** Values no schema of the contract accepts where they are put (mostly): the hostile alphabet. */
export function hostileValue(maxString: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.string({ maxLength: 64 }),
    // Lone surrogates and other invalid UTF-16: what a broken or hostile encoder sends.
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      '\uD800',
      '\uDFFF',
      'a\uDC00b',
      '\u0000\u0000',
      '\uFFFE',
      '%00',
      '../../etc/passwd',
      "'; DROP TABLE notifications; --",
      '<script>alert(1)</script>',
      'constructor',
      '__proto__',
    ),
    fc.integer({ min: Math.min(1_000, maxString), max: maxString }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: Math.min(1_000, maxString), max: maxString }).map((n) => '\uD83D'.repeat(Math.floor(n / 6))),
    fc.integer({ min: 20, max: 2_000 }).chain((depth) => fc.constantFrom(nest(depth, 'array'), nest(depth, 'object'))),
    fc.constantFrom(...pollution).map((text) => JSON.parse(text) as unknown),
    fc.double(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.constantFrom(null, true, false, 0, -1, 2 ** 53, 1e308, -0),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 50 }),
  );
}

/**
 * Malformed versions of a valid object: wrong top-level type, one field replaced, a field missing,
 * an extra field, pollution keys merged in. Derived from a valid example and its keys.
 */
export function malformed(valid: Record<string, unknown>, maxString: number): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const hostile = hostileValue(maxString);
  const variants: fc.Arbitrary<unknown>[] = [
    hostile,
    fc.tuple(fc.string({ maxLength: 30 }), hostile).map(([key, value]) => ({ ...valid, [key]: value })),
    fc.constantFrom(...pollution).map((text) => Object.assign(JSON.parse(text) as object, valid)),
  ];
  if (keys.length > 0) {
    variants.push(
      fc.tuple(fc.constantFrom(...keys), hostile).map(([key, value]) => ({ ...valid, [key]: value })),
      fc.constantFrom(...keys).map((key) => {
        const copy = { ...valid };
        delete copy[key];
        return copy;
      }),
    );
  }
  return fc.oneof(...variants);
}

/** A valid request per client event (the starting point of the mutations). */
export const validRequests: Record<ClientEventName, Record<string, unknown>> = {
  'kpi:subscribe': { module: 'risk' },
  'kpi:unsubscribe': { module: 'risk' },
  'dashboard:subscribe': {},
  'dashboard:unsubscribe': {},
  'notifications:subscribe': {},
  'notification:markRead': { id: 'abc' },
  'notification:markAllRead': {},
  'alert:acknowledge': { id: 'abc' },
  ping: { clientTime: 1 },
  'stream:resume': { cursors: { 'notifications@tenant:x': 1 } },
};

export const clientEventNamesForFuzz = Object.keys(clientEvents) as ClientEventName[];

/** One socket input: an event name (mostly from the catalog) and its arguments. */
export type SocketInput = { event: string; args: unknown[] };

export function socketInputs(maxString: number): fc.Arbitrary<SocketInput> {
  const known = fc.constantFrom(...clientEventNamesForFuzz).chain((event) =>
    fc.oneof(
      {
        weight: 8,
        arbitrary: malformed(validRequests[event], maxString).map((payload) => ({ event, args: [payload] })),
      },
      // Wrong arity: no payload, or several.
      { weight: 1, arbitrary: fc.array(hostileValue(200), { maxLength: 4 }).map((args) => ({ event, args })) },
    ),
  );
  const unknown = fc
    .oneof(
      fc.string({ maxLength: 120 }),
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.constantFrom(
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'kpi:subscribe ',
        'KPI:SUBSCRIBE',
        'stream:resume\u0000',
      ),
    )
    .filter(
      (name) =>
        !['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'].includes(name),
    )
    .chain((event) => hostileValue(200).map((payload) => ({ event, args: [payload] })));
  return fc.oneof({ weight: 9, arbitrary: known }, { weight: 1, arbitrary: unknown });
}
