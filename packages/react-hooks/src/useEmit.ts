import type { ClientEventName, ClientEventRequest, ClientEventResponse } from '@org/contracts';
import { useCallback } from 'react';
import { useRealtimeClient } from './RealtimeProvider.js';

export type Emit = <TEvent extends ClientEventName>(
  event: TEvent,
  payload: ClientEventRequest<TEvent>,
  options?: { timeoutMs?: number },
) => Promise<ClientEventResponse<TEvent>>;

/**
 * A typed request function: resolves with the ack's data, rejects with a `RealtimeRequestError`
 * whose `code` is the contract's error code.
 */
export function useEmit(): Emit {
  const client = useRealtimeClient();
  return useCallback<Emit>((event, payload, options) => client.request(event, payload, options), [client]);
}
