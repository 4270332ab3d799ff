import type { Module } from '@org/contracts';
import { useKpis } from '@org/realtime-react';
import { formatTime, moduleLabels } from '../format.js';
import { KpiCard } from './KpiCard.js';

export function ModulePanel({ module }: { module: Module }) {
  const { kpis, status, query } = useKpis(module);
  const newest = kpis
    .map((kpi) => kpi.updatedAt)
    .sort()
    .at(-1);
  return (
    <section className="panel" aria-labelledby={`module-${module}`} data-module={module}>
      <header>
        <h2 id={`module-${module}`}>{moduleLabels[module]}</h2>
        <span className="muted" style={{ fontSize: '0.8rem' }}>
          {status === 'live' ? 'live' : 'from last refresh'}
          {newest && ` · ${formatTime(newest)}`}
        </span>
      </header>
      <div className="panel-body">
        {query.isError ? (
          <p className="form-error" role="alert">
            Could not load {moduleLabels[module]}: {query.error.message}
          </p>
        ) : kpis.length === 0 ? (
          <p className="muted">{query.isPending ? 'Loading…' : 'No figures yet.'}</p>
        ) : (
          <div className="kpi-grid">
            {kpis.map((kpi) => (
              <KpiCard key={kpi.key} kpi={kpi} history={kpi.history} />
            ))}
          </div>
        )}
      </div>
    </section>
  );
}
