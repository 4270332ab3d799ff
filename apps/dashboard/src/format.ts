import type { Kpi } from '@org/contracts';

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** A KPI value as people read it: money compact with its currency, durations in h/m/s. */
export function formatKpiValue(kpi: Pick<Kpi, 'value' | 'unit' | 'currency'>): string {
  switch (kpi.unit) {
    case 'currency':
      return `${new Intl.NumberFormat('en', { style: 'currency', currency: kpi.currency ?? 'USD', notation: 'compact', maximumFractionDigits: 1 }).format(kpi.value)}`;
    case 'percent':
      return `${kpi.value.toFixed(1)}%`;
    case 'ratio':
      return kpi.value.toFixed(2);
    case 'duration_ms':
      return formatDuration(kpi.value);
    case 'count':
      return kpi.value >= 100_000 ? compact.format(kpi.value) : whole.format(kpi.value);
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = seconds / 60;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${Math.round(minutes % 60)} min`;
}

export function formatChange(change: number | null): string {
  if (change === null) return '—';
  const pct = change * 100;
  const sign = pct > 0 ? '+' : pct < 0 ? '−' : '';
  return `${sign}${Math.abs(pct).toFixed(Math.abs(pct) < 1 ? 2 : 1)}%`;
}

export const formatTime = (iso: string | number) =>
  new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
}

export const moduleLabels: Record<Kpi['module'], string> = {
  lending: 'Lending',
  payments: 'Payments',
  collections: 'Collections',
  risk: 'Risk',
  compliance: 'Compliance',
  support: 'Support',
};

export const roleLabels: Record<string, string> = {
  ADMIN: 'Admin',
  UNDERWRITER: 'Underwriter',
  COLLECTION_AGENT: 'Collection agent',
  FINANCE_MANAGER: 'Finance manager',
  RISK_ANALYST: 'Risk analyst',
  SUPPORT_AGENT: 'Support agent',
};
