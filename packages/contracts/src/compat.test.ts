import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findBreakingChanges } from './compat.js';
import { type CatalogSchema, catalogJsonSchema, toJsonSchema } from './jsonSchema.js';

// Builds a one-event catalog so each test states exactly what changed.
function catalog(parts: { payload?: z.ZodType; request?: z.ZodType; response?: z.ZodType }): CatalogSchema {
  const base = catalogJsonSchema();
  return {
    ...base,
    serverToClient: parts.payload
      ? { 'x:event': { channel: 'kpi', description: '', targets: [], payload: toJsonSchema(parts.payload, 'output') } }
      : {},
    clientToServer:
      parts.request && parts.response
        ? {
            'x:request': {
              description: '',
              request: toJsonSchema(parts.request, 'input'),
              response: toJsonSchema(parts.response, 'output'),
            },
          }
        : {},
    rest: {},
  };
}

const payload = z.object({ id: z.string(), level: z.enum(['low', 'high']), count: z.number().int().min(0) });
const request = z.strictObject({ module: z.enum(['a', 'b']), note: z.string().max(100).optional() });
const response = z.object({ ok: z.boolean() });

describe('findBreakingChanges', () => {
  it('finds nothing when nothing changed', () => {
    const before = catalog({ payload, request, response });
    expect(findBreakingChanges(before, catalog({ payload, request, response }))).toEqual([]);
  });

  it('flags a removed event', () => {
    const changes = findBreakingChanges(catalog({ payload }), catalog({}));
    expect(changes.map((c) => c.reason)).toContain('event removed');
  });

  it('flags a removed field in a server payload', () => {
    const changes = findBreakingChanges(catalog({ payload }), catalog({ payload: payload.omit({ level: true }) }));
    expect(changes).toEqual([expect.objectContaining({ path: 'serverToClient.x:event.level' })]);
  });

  it('flags a server payload enum that gained a value old clients reject', () => {
    const wider = payload.extend({ level: z.enum(['low', 'high', 'extreme']) });
    expect(findBreakingChanges(catalog({ payload }), catalog({ payload: wider }))).toHaveLength(1);
  });

  it('flags a changed type', () => {
    const changed = payload.extend({ count: z.string() });
    expect(findBreakingChanges(catalog({ payload }), catalog({ payload: changed })).length).toBeGreaterThan(0);
  });

  it('accepts a new optional field and a narrower server payload', () => {
    const next = payload.extend({ extra: z.string().optional(), count: z.number().int().min(1) });
    expect(findBreakingChanges(catalog({ payload }), catalog({ payload: next }))).toEqual([]);
  });

  it('flags a narrowed request (old clients would be refused)', () => {
    const narrowed = request.extend({ module: z.enum(['a']) });
    const changes = findBreakingChanges(catalog({ request, response }), catalog({ request: narrowed, response }));
    expect(changes.map((c) => c.path)).toContain('clientToServer.x:request.request.module');
  });

  it('flags a new required request field but not a new optional one', () => {
    const required = request.extend({ reason: z.string() });
    const optional = request.extend({ reason: z.string().optional() });
    expect(findBreakingChanges(catalog({ request, response }), catalog({ request: required, response }))).toHaveLength(
      1,
    );
    expect(findBreakingChanges(catalog({ request, response }), catalog({ request: optional, response }))).toEqual([]);
  });

  it('flags a tightened request limit', () => {
    const tighter = request.extend({ note: z.string().max(10).optional() });
    const changes = findBreakingChanges(catalog({ request, response }), catalog({ request: tighter, response }));
    expect(changes[0]?.reason).toMatch(/maxLength/);
  });

  it('accepts a widened request', () => {
    const wider = request.extend({ module: z.enum(['a', 'b', 'c']) });
    expect(findBreakingChanges(catalog({ request, response }), catalog({ request: wider, response }))).toEqual([]);
  });
});
