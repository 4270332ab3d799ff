import type { ServerEventData, ServerEventName } from '@org/contracts';
import { useEffect, useRef } from 'react';
import type { RealtimeMessage } from './core/realtimeClient.js';
import { useRealtimeClient } from './RealtimeProvider.js';

/**
 * Calls `handler` for every applied `event` (validated, de-duplicated), with its data and the
 * message (envelope, receipt time, delivery latency). The latest handler is used without resubscribing.
 */
export function useRealtimeEvent<TEvent extends ServerEventName>(
  event: TEvent,
  handler: (data: ServerEventData<TEvent>, message: RealtimeMessage<TEvent>) => void,
): void {
  const client = useRealtimeClient();
  const handlerRef = useRef(handler);
  useEffect(() => {
    handlerRef.current = handler;
  });
  useEffect(() => client.on(event, (data, message) => handlerRef.current(data, message)), [client, event]);
}
