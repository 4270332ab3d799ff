import type { Principal, RealtimeStats } from '@org/contracts';
import { describe, expectTypeOf, it } from 'vitest';
import type { RealtimeServer, RequestHandlers, VerifiedSession } from '../src/index.js';

// Type-level checks: `tsc --noEmit -p .` fails if the public API stops inferring from the catalog.
describe('public types', () => {
  it('publish accepts only the targets the catalog declares for an event, and its data type', () => {
    const check = (realtime: RealtimeServer) => {
      void realtime.publish(
        'kpi:update',
        { kind: 'module', tenantId: 't', module: 'risk' },
        { tenantId: 't', module: 'risk', kpis: [] },
      );
      const tenantTarget = { kind: 'tenant', tenantId: 't' } as const;
      // @ts-expect-error kpi:update goes to module rooms only
      void realtime.publish('kpi:update', tenantTarget, { tenantId: 't', module: 'risk', kpis: [] });
      // @ts-expect-error the data must match the event
      void realtime.publish('alert:new', { kind: 'system' }, { tenantId: 't', module: 'risk', kpis: [] });
      // @ts-expect-error session events are not publishable
      void realtime.publish('session:ready', { kind: 'system' }, {});
    };
    expectTypeOf(check).toBeFunction();
    expectTypeOf<ReturnType<RealtimeServer['stats']>>().toEqualTypeOf<RealtimeStats>();
    expectTypeOf<Awaited<ReturnType<RealtimeServer['publish']>>>().toEqualTypeOf<{
      id: string;
      stream: string;
      seq: number;
    }>();
  });

  it('handlers get the parsed request and must return the catalog response', () => {
    type MarkRead = NonNullable<RequestHandlers['notification:markRead']>;
    expectTypeOf<Parameters<MarkRead>[0]>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<Awaited<ReturnType<MarkRead>>>().toHaveProperty('unreadCount');
    expectTypeOf<VerifiedSession>().toMatchTypeOf<Principal>();
    expectTypeOf<VerifiedSession['expiresAt']>().toEqualTypeOf<number | null>();
  });
});
