import { describe, expectTypeOf, it } from 'vitest';
import type {
  AckResponse,
  ClientEventRequest,
  ClientToServerEvents,
  Envelope,
  Kpi,
  KpiUpdate,
  Module,
  Notification,
  PublishableEventName,
  ServerEventData,
  ServerToClientEvents,
  TargetFor,
} from './index.js';

describe('types inferred from the catalog', () => {
  it('give each server event its envelope and payload', () => {
    expectTypeOf<ServerEventData<'kpi:update'>>().toEqualTypeOf<KpiUpdate>();
    expectTypeOf<Parameters<ServerToClientEvents['notification:new']>[0]>().toEqualTypeOf<Envelope<Notification>>();
    expectTypeOf<KpiUpdate['kpis']>().toEqualTypeOf<Kpi[]>();
    expectTypeOf<Kpi['module']>().toEqualTypeOf<Module>();
  });

  it('type client requests and their acks', () => {
    type Subscribe = ClientToServerEvents['kpi:subscribe'];
    expectTypeOf<Parameters<Subscribe>[0]>().toEqualTypeOf<{ module: Module }>();
    type Ack = Parameters<Parameters<Subscribe>[1]>[0];
    expectTypeOf<Ack>().toEqualTypeOf<AckResponse<{ stream: string; seq: number; module: Module }>>();
  });

  it('refuse wrong payloads at compile time', () => {
    const subscribe = (_payload: ClientEventRequest<'kpi:subscribe'>) => undefined;
    subscribe({ module: 'lending' });
    // @ts-expect-error: not a module of the catalog
    subscribe({ module: 'mortgages' });
    // @ts-expect-error: missing field
    subscribe({});

    const onKpi: ServerToClientEvents['kpi:update'] = (envelope) => {
      expectTypeOf(envelope.data.kpis[0]).toEqualTypeOf<Kpi | undefined>();
      // @ts-expect-error: KPI updates carry no notification fields
      envelope.data.title;
    };
    expectTypeOf(onKpi).toBeFunction();
  });

  it('limit publish targets to those the catalog declares', () => {
    expectTypeOf<TargetFor<'kpi:update'>>().toEqualTypeOf<{ kind: 'module'; tenantId: string; module: Module }>();
    expectTypeOf<'session:ready'>().not.toExtend<PublishableEventName>();
    expectTypeOf<'kpi:update'>().toExtend<PublishableEventName>();
  });
});
