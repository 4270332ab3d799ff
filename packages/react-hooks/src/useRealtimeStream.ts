import type { ServerEventData, ServerEventName } from '@org/contracts';
import { useMemo, useSyncExternalStore } from 'react';
import type { ConnectionStatus, RealtimeMessage } from './core/realtimeClient.js';
import { StreamObserver } from './core/streamObserver.js';
import { useRealtimeClient } from './RealtimeProvider.js';
import { useConnectionStatus } from './useConnection.js';

export interface RealtimeStreamResult<TEvent extends ServerEventName = ServerEventName> {
  /** The data of the last message, or undefined before the first. */
  data: ServerEventData<TEvent> | undefined;
  lastMessage: RealtimeMessage<TEvent> | null;
  messageCount: number;
  status: ConnectionStatus;
  error: Error | null;
}

/**
 * Follows any stream by name (`channel@room`, e.g. `kpi@tenant:acme:module:risk`), optionally
 * only some of its events, which also narrows the types.
 */
export function useRealtimeStream<TEvent extends ServerEventName = ServerEventName>(
  stream: string,
  options: { events?: readonly TEvent[] } = {},
): RealtimeStreamResult<TEvent> {
  const client = useRealtimeClient();
  const eventsKey = options.events?.join(',') ?? '';
  // The observer holds nothing until subscribed, so making a new one per key is free.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `eventsKey` stands for `options.events`
  const observer = useMemo(
    () => new StreamObserver<TEvent>(client, stream, options.events),
    [client, stream, eventsKey],
  );
  const result = useSyncExternalStore(observer.subscribe, observer.getResult, observer.getResult);
  const status = useConnectionStatus();
  return {
    data: result.lastMessage?.envelope.data as ServerEventData<TEvent> | undefined,
    lastMessage: result.lastMessage,
    messageCount: result.messageCount,
    status,
    error: result.error,
  };
}
