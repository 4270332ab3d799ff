import type { Kpi } from '@org/contracts';
import { ArrowDownRight, ArrowUpRight, Minus } from 'lucide-react';
import { formatChange, formatKpiValue, formatTime } from '../format.js';
import { Sparkline } from './Sparkline.js';

type KpiCardProps = { kpi: Kpi; history?: readonly number[] | undefined; compact?: boolean };

export function KpiCard({ kpi, history, compact = false }: KpiCardProps) {
  const direction = kpi.change === null || kpi.change === 0 ? 'flat' : kpi.change > 0 ? 'up' : 'down';
  const Icon = direction === 'up' ? ArrowUpRight : direction === 'down' ? ArrowDownRight : Minus;
  return (
    <article className={`kpi-card${compact ? ' compact' : ''}`} data-kpi={kpi.key} aria-label={kpi.label}>
      <header className="kpi-label">{kpi.label}</header>
      {/* Keyed by update time: a new value remounts the node and replays the highlight. */}
      <div className="kpi-value flash" key={kpi.updatedAt} data-testid={`kpi-value-${kpi.key}`}>
        {formatKpiValue(kpi)}
      </div>
      <div className="kpi-meta">
        <span className={`kpi-change ${direction}`}>
          <Icon size={14} aria-hidden="true" />
          <span>{formatChange(kpi.change)}</span>
        </span>
        <time dateTime={kpi.updatedAt} className="kpi-time">
          updated {formatTime(kpi.updatedAt)}
        </time>
      </div>
      {!compact && history && <Sparkline values={history} label={`${kpi.label}, recent trend`} />}
    </article>
  );
}
