import type { UserProfile } from '@org/contracts';
import { useDashboard } from '@org/realtime-react';
import { AlertBanner } from '../components/AlertBanner.js';
import { KpiCard } from '../components/KpiCard.js';
import { ModulePanel } from '../components/ModulePanel.js';
import { RoleFeed } from '../components/RoleFeed.js';
import { formatTime } from '../format.js';

export function DashboardPage({ user }: { user: UserProfile }) {
  const { cards, topKpis, updatedAt, status } = useDashboard();
  return (
    <main>
      <AlertBanner />
      <h1 className="page-title">
        Overview
        <small>
          {status === 'live' ? 'Live' : 'Not live: figures refresh every few seconds'}
          {updatedAt && ` · updated ${formatTime(updatedAt)}`}
        </small>
      </h1>
      <section className="summary-row" aria-label="Summary">
        {cards.map((kpi) => (
          <KpiCard key={`${kpi.module}/${kpi.key}`} kpi={kpi} compact />
        ))}
      </section>
      <div className="layout">
        <div className="modules">
          {user.modules.map((module) => (
            <ModulePanel key={module} module={module} />
          ))}
        </div>
        <aside className="modules" aria-label="Activity">
          <RoleFeed roles={user.roles} />
          {topKpis.length > 0 && (
            <section className="panel" aria-labelledby="movers-title">
              <header>
                <h2 id="movers-title">Biggest movers</h2>
              </header>
              <div className="panel-body" style={{ display: 'grid', gap: '0.5rem' }}>
                {topKpis.map((kpi) => (
                  <KpiCard key={`${kpi.module}/${kpi.key}`} kpi={kpi} compact />
                ))}
              </div>
            </section>
          )}
        </aside>
      </div>
    </main>
  );
}
