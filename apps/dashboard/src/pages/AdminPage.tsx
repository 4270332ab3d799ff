import { PresenceResponse, RealtimeStats, rooms, streamName, type UserProfile } from '@org/contracts';
import { useRealtimeStream } from '@org/realtime-react';
import { useQuery } from '@tanstack/react-query';
import { useRef } from 'react';
import { formatTime, roleLabels } from '../format.js';

const STATS_INTERVAL_MS = 2000;

type AdminPageProps = { user: UserProfile; getToken: () => Promise<string> };

/** Live connection stats for the admin's tenant, who is online, and events per second. */
export function AdminPage({ user, getToken }: AdminPageProps) {
  const stats = useQuery({
    queryKey: ['admin', 'stats'],
    queryFn: async () => {
      const response = await fetch('/api/realtime/stats', { headers: { authorization: `Bearer ${await getToken()}` } });
      if (!response.ok) throw new Error(`stats answered ${response.status}`);
      return { at: Date.now(), stats: RealtimeStats.parse(await response.json()) };
    },
    refetchInterval: STATS_INTERVAL_MS,
  });
  const previous = useRef<{ at: number; eventsOut: number } | null>(null);
  let eventsPerSecond: number | null = null;
  if (stats.data) {
    const { at, stats: s } = stats.data;
    if (previous.current && at > previous.current.at) {
      eventsPerSecond = ((s.eventsOut - previous.current.eventsOut) * 1000) / (at - previous.current.at);
    }
    if (!previous.current || previous.current.at !== at) previous.current = { at, eventsOut: s.eventsOut };
  }
  // Who is online now, then every change as the server publishes it.
  const presenceSnapshot = useQuery({
    queryKey: ['admin', 'presence'],
    queryFn: async () => {
      const response = await fetch('/api/realtime/presence', {
        headers: { authorization: `Bearer ${await getToken()}` },
      });
      if (!response.ok) throw new Error(`presence answered ${response.status}`);
      return PresenceResponse.parse(await response.json());
    },
  });
  const presenceLive = useRealtimeStream(streamName('presence', rooms.role(user.tenantId, 'ADMIN')), {
    events: ['presence:update'],
  });
  const online = presenceLive.data?.online ?? presenceSnapshot.data?.online;
  const s = stats.data?.stats;
  const rejections = Object.entries(s?.rejections ?? {}).filter(([, count]) => count > 0);

  return (
    <main>
      <h1 className="page-title">
        Realtime admin <small>{stats.data && `updated ${formatTime(stats.data.at)}`}</small>
      </h1>
      {stats.isError && (
        <p className="form-error" role="alert">
          {stats.error.message}
        </p>
      )}
      <section className="stat-grid" aria-label="Connection stats">
        <Stat label="Connections (tenant)" value={s?.perTenant[user.tenantId] ?? 0} />
        <Stat label="Connections (node)" value={s?.connections ?? 0} />
        <Stat label="Unique users (node)" value={s?.uniqueUsers ?? 0} />
        <Stat label="Rooms" value={s?.rooms ?? 0} />
        <Stat label="Events out / s" value={eventsPerSecond === null ? '…' : eventsPerSecond.toFixed(1)} />
        <Stat label="Events in" value={s?.eventsIn ?? 0} />
      </section>
      <div className="layout">
        <section className="panel" aria-labelledby="online-title">
          <header>
            <h2 id="online-title">Who is online</h2>
            <span className="muted">
              {online ? `${online.length} user${online.length === 1 ? '' : 's'}` : 'loading…'}
            </span>
          </header>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Roles</th>
                <th scope="col">Connections</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {(online ?? []).map((person) => (
                <tr key={person.userId}>
                  <td>{person.userId}</td>
                  <td>{person.roles.map((r) => roleLabels[r] ?? r).join(', ')}</td>
                  <td>{person.connections}</td>
                  <td>{formatTime(person.since)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <aside className="modules">
          <section className="panel" aria-labelledby="roles-title">
            <header>
              <h2 id="roles-title">Connections by role (tenant)</h2>
            </header>
            <table className="table">
              <tbody>
                {Object.entries(s?.perRole ?? {}).map(([role, count]) => (
                  <tr key={role}>
                    <td>{roleLabels[role] ?? role}</td>
                    <td>{count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="panel" aria-labelledby="rejections-title">
            <header>
              <h2 id="rejections-title">Rejections (node)</h2>
            </header>
            {rejections.length === 0 ? (
              <p className="empty">None so far.</p>
            ) : (
              <table className="table">
                <tbody>
                  {rejections.map(([code, count]) => (
                    <tr key={code}>
                      <td>
                        <code>{code}</code>
                      </td>
                      <td>{count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </aside>
      </div>
    </main>
  );
}

function Stat({ label, value }: { label: string; value: number | string }) {
  return (
    <div className="kpi-card compact">
      <div className="kpi-label">{label}</div>
      <div className="kpi-value">{value}</div>
    </div>
  );
}
