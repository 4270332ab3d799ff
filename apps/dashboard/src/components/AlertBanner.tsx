import type { SystemAlert } from '@org/contracts';
import { useSystemAlerts } from '@org/realtime-react';
import { AlertOctagon, AlertTriangle, Check, Info } from 'lucide-react';
import { useState } from 'react';
import { formatRelative } from '../format.js';

const icons = { critical: AlertOctagon, warning: AlertTriangle, info: Info } as const;
const order = { critical: 0, warning: 1, info: 2 } as const;

/** The latest unacknowledged system alerts, most severe first, each with an Acknowledge button. */
export function AlertBanner() {
  const { alerts, acknowledge, acknowledgeError } = useSystemAlerts({ limit: 10 });
  const [showAll, setShowAll] = useState(false);
  const open = alerts
    .filter((alert) => alert.acknowledgedAt === null)
    .sort((a, b) => order[a.severity] - order[b.severity] || b.createdAt.localeCompare(a.createdAt));
  if (open.length === 0) return null;
  const shown = showAll ? open : open.slice(0, 2);
  return (
    <section className="alerts" aria-label="System alerts">
      {shown.map((alert) => (
        <AlertRow
          key={alert.id}
          alert={alert}
          onAcknowledge={() => void acknowledge(alert.id).catch(() => undefined)}
        />
      ))}
      {open.length > 2 && (
        <button type="button" className="link-button" onClick={() => setShowAll(!showAll)}>
          {showAll ? 'Show fewer alerts' : `Show ${open.length - 2} more alert${open.length - 2 === 1 ? '' : 's'}`}
        </button>
      )}
      {acknowledgeError && (
        <div className="form-error" role="alert">
          Could not acknowledge: {acknowledgeError.message}
        </div>
      )}
    </section>
  );
}

function AlertRow({ alert, onAcknowledge }: { alert: SystemAlert; onAcknowledge: () => void }) {
  const Icon = icons[alert.severity];
  return (
    <div
      className={`alert ${alert.severity}`}
      role={alert.severity === 'critical' ? 'alert' : 'status'}
      data-alert={alert.id}
    >
      <Icon size={18} aria-hidden="true" />
      <div className="alert-body">
        <div className="alert-title">
          <span className="severity-tag">{alert.severity}</span> {alert.title}
        </div>
        <div className="alert-meta">
          {alert.message} · {alert.tenantId === null ? 'all tenants' : alert.category} ·{' '}
          {formatRelative(alert.createdAt)}
        </div>
      </div>
      <button type="button" className="button" onClick={onAcknowledge} aria-label={`Acknowledge alert: ${alert.title}`}>
        <Check size={14} aria-hidden="true" /> Acknowledge
      </button>
    </div>
  );
}
