import { useSyncExternalStore } from 'react';

// Three pages do not need a router library: the path is the state, history is the store.
const listeners = new Set<() => void>();
const notify = () => {
  for (const listener of listeners) listener();
};
globalThis.addEventListener?.('popstate', notify);

export function navigate(path: string) {
  if (path === window.location.pathname) return;
  window.history.pushState(null, '', path);
  notify();
}

export function usePath(): string {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => window.location.pathname,
  );
}
