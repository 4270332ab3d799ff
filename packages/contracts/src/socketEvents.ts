import type {
  ClientEventName,
  ClientEventRequest,
  ClientEventResponse,
  ServerEventData,
  ServerEventName,
} from './catalog.js';
import type { Envelope } from './envelope.js';
import type { AckResponse } from './errors.js';

/** Socket.IO's server-to-client event map, derived from the catalog. */
export type ServerToClientEvents = {
  [TEvent in ServerEventName]: (envelope: Envelope<ServerEventData<TEvent>>) => void;
};

/** Socket.IO's client-to-server event map, derived from the catalog: every request has a typed ack. */
export type ClientToServerEvents = {
  [TEvent in ClientEventName]: (
    payload: ClientEventRequest<TEvent>,
    ack: (response: AckResponse<ClientEventResponse<TEvent>>) => void,
  ) => void;
};
