import { type QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { RealtimeClient, type RealtimeClientOptions } from './core/realtimeClient.js';

const RealtimeContext = createContext<RealtimeClient | null>(null);

export type RealtimeProviderProps =
  | {
      /** A client made elsewhere (tests, several providers sharing one). Its `queryClient` is used. */
      client: RealtimeClient;
      children?: ReactNode;
    }
  | (Omit<RealtimeClientOptions, 'queryClient'> & {
      /** The cache live events are written into; also provided to TanStack Query's hooks. */
      queryClient: QueryClient;
      children?: ReactNode;
    });

/**
 * Provides a `RealtimeClient` (and its `QueryClient`) to the hooks below it. Connects on mount and
 * disconnects on unmount. Given options, the client is created once: later changes of the options
 * are ignored, except `getToken`, whose latest version is always called (pass a `client` to
 * control its life yourself; key the provider by user to start afresh on a new sign-in).
 */
export function RealtimeProvider(props: RealtimeProviderProps) {
  // The latest `getToken` is used, so an inline callback never goes stale.
  const getTokenRef = useRef('getToken' in props ? props.getToken : undefined);
  useEffect(() => {
    getTokenRef.current = 'getToken' in props ? props.getToken : undefined;
  });
  const [client] = useState(() =>
    'client' in props
      ? props.client
      : new RealtimeClient({
          ...withoutChildren(props),
          getToken: (options) => getTokenRef.current?.(options) ?? null,
        }),
  );
  useEffect(() => {
    client.connect();
    return () => client.disconnect();
  }, [client]);
  const queryClient = client.queryClient;
  const content = <RealtimeContext.Provider value={client}>{props.children}</RealtimeContext.Provider>;
  return queryClient ? <QueryClientProvider client={queryClient}>{content}</QueryClientProvider> : content;
}

/** The client of the nearest `RealtimeProvider`. */
export function useRealtimeClient(): RealtimeClient {
  const client = useContext(RealtimeContext);
  if (!client) throw new Error('useRealtimeClient: no RealtimeProvider above this component');
  return client;
}

function withoutChildren<T extends { children?: ReactNode }>(props: T): Omit<T, 'children'> {
  const { children: _children, ...options } = props;
  return options;
}
