import { type ConnectionState, useConnection } from '@org/realtime-react';

export function connectionLabel(state: ConnectionState): string {
  switch (state.status) {
    case 'live':
      return state.latencyMs === null ? 'Live' : `Live ${Math.round(state.latencyMs)} ms`;
    case 'polling':
      return state.attempt > 0 ? `Polling · reconnecting (${state.attempt})` : 'Polling';
    case 'connecting':
      return state.attempt > 0 ? `Reconnecting (${state.attempt})` : 'Connecting…';
    case 'offline':
      return 'Offline';
    case 'unauthorized':
      return 'Signed out';
  }
}

/** "Live 12 ms" only while the socket is live; everything else says plainly that data may lag. */
export function ConnectionIndicator() {
  const state = useConnection();
  const label = connectionLabel(state);
  const title = state.error ? `${label}: ${state.error.message}` : label;
  return (
    <output className={`connection ${state.status}`} aria-live="polite" title={title} data-testid="connection">
      <span className="dot" aria-hidden="true" />
      {label}
    </output>
  );
}
