import type { Activity, AlertDraft, Audience, Kpi, Module, NotificationDraft, Role } from '@org/contracts';
import { Role as RoleSchema } from '@org/contracts';
import type { Logger } from 'pino';
import type { Services } from '../services.js';
import type { Store } from '../store/index.js';
import { type KpiDefinition, kpiCatalog } from './kpiCatalog.js';

export type SimulatorOptions = {
  tenants: { id: string; currency: string }[];
  /** One KPI tick per interval; notifications and alerts come every few ticks. */
  intervalMs: number;
  services: Services;
  store: Store;
  logger: Logger;
  /** Deterministic runs in tests. */
  random?: () => number;
};

const NOTIFICATION_EVERY_TICKS = 6;
const ALERT_EVERY_TICKS = 25;

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)] as T;

/** A standard normal sample (Box-Muller). */
function gaussian(random: () => number) {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const names = [
  'Ana Silva',
  'Tomás Ruiz',
  'Grace Okafor',
  'Liu Wei',
  'Priya Shah',
  'Jonas Berg',
  'Mia Novak',
  'Omar Haddad',
];
const products = ['Personal loan', 'SME working capital', 'Auto loan', 'BNPL line', 'Mortgage top-up'];

function activityFor(
  role: Role,
  currency: string,
  random: () => number,
): { activity: Activity; draft: Omit<NotificationDraft, 'activity'> } | undefined {
  const id = Math.floor(random() * 90_000 + 10_000);
  const who = pick(names, random);
  switch (role) {
    case 'UNDERWRITER': {
      const amount = Math.round((random() * 45_000 + 2_000) / 100) * 100;
      return {
        activity: {
          type: 'loan_application',
          applicationId: `APP-${id}`,
          applicant: who,
          product: pick(products, random),
          requested: { amount, currency },
        },
        draft: {
          severity: 'info',
          title: 'New loan application',
          body: `${who} applied for ${amount.toLocaleString('en')} ${currency}.`,
          action: { label: 'Review', href: `/applications/APP-${id}` },
        },
      };
    }
    case 'COLLECTION_AGENT': {
      const days = Math.floor(random() * 85 + 5);
      const amount = Math.round(random() * 4_000 + 150);
      return {
        activity: {
          type: 'collection_alert',
          accountId: `ACC-${id}`,
          borrower: who,
          daysPastDue: days,
          amountDue: { amount, currency },
        },
        draft: {
          severity: days > 60 ? 'error' : 'warning',
          title: `${days} days past due`,
          body: `${who} owes ${amount} ${currency}.`,
        },
      };
    }
    case 'FINANCE_MANAGER':
      return {
        activity: {
          type: 'compliance_alert',
          rule: pick(['Large cash transaction', 'Sanctions list near-match', 'Velocity limit exceeded'], random),
          entity: who,
        },
        draft: {
          severity: 'warning',
          title: 'Compliance review needed',
          body: `A transaction by ${who} needs a second look.`,
        },
      };
    case 'RISK_ANALYST': {
      const score = Math.round(random() * 300 + 650);
      return {
        activity: {
          type: 'risk_alert',
          entity: who,
          score,
          reason: pick(['Device fingerprint mismatch', 'Income inconsistency', 'Rapid re-application'], random),
        },
        draft: {
          severity: score > 850 ? 'critical' : 'warning',
          title: `Risk score ${score}`,
          body: `${who} was flagged by the risk engine.`,
        },
      };
    }
    case 'SUPPORT_AGENT':
      return {
        activity: {
          type: 'ticket_assigned',
          ticketId: `T-${id}`,
          subject: pick(
            ['Card declined abroad', 'Repayment date change', 'Statement missing', 'Refund not received'],
            random,
          ),
          priority: pick(['low', 'normal', 'high', 'urgent'] as const, random),
        },
        draft: { severity: 'info', title: 'Ticket assigned to your team', body: `${who} is waiting for an answer.` },
      };
    case 'ADMIN':
      return undefined;
  }
}

const alerts: AlertDraft[] = [
  {
    severity: 'warning',
    category: 'payments',
    title: 'Card processor latency high',
    message: 'p95 authorisation latency above 1.5 s for 5 minutes.',
    module: 'payments',
  },
  {
    severity: 'critical',
    category: 'security',
    title: 'Login failures spike',
    message: 'Failed sign-ins are 6x the usual rate.',
  },
  {
    severity: 'info',
    category: 'infrastructure',
    title: 'Scheduled maintenance tonight',
    message: 'Core banking read replica maintenance at 02:00 UTC.',
  },
  {
    severity: 'warning',
    category: 'risk',
    title: 'Fraud model drift',
    message: 'Score distribution shifted beyond the alert threshold.',
    module: 'risk',
  },
  {
    severity: 'warning',
    category: 'collections',
    title: 'Dialler queue backing up',
    message: 'Collections dialler queue above 500 accounts.',
    module: 'collections',
  },
  {
    severity: 'critical',
    category: 'compliance',
    title: 'Sanctions list update failed',
    message: 'The nightly sanctions list import did not complete.',
    module: 'compliance',
  },
];

/**
 * Contract-driven demo data: KPI random walks per tenant and module, role-specific notifications
 * and alerts. Every value goes through the same services as real publishers, so it is persisted
 * and validated like any other event.
 */
export function createSimulator(options: SimulatorOptions) {
  const random = options.random ?? Math.random;
  const values = new Map<string, number>();
  let tick = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const keyOf = (tenantId: string, definition: KpiDefinition) => `${tenantId}/${definition.key}`;

  async function seed() {
    for (const tenant of options.tenants) {
      for (const module of new Set(kpiCatalog.map((d) => d.module))) {
        const stored = await options.store.getKpis(tenant.id, module);
        for (const kpi of stored) values.set(`${tenant.id}/${kpi.key}`, kpi.value);
      }
    }
  }

  function step(tenantId: string, currency: string, definition: KpiDefinition, now: string): Kpi {
    const key = keyOf(tenantId, definition);
    const previous = values.get(key) ?? definition.start;
    let next = previous + gaussian(random) * definition.volatility;
    next = Math.min(definition.max, Math.max(definition.min, next));
    next = definition.integer ? Math.round(next) : Math.round(next * 100) / 100;
    values.set(key, next);
    return {
      key: definition.key,
      module: definition.module,
      label: definition.label,
      value: next,
      unit: definition.unit,
      ...(definition.unit === 'currency' && { currency }),
      change: previous === 0 ? null : Math.round(((next - previous) / Math.abs(previous)) * 10_000) / 10_000,
      updatedAt: now,
    };
  }

  async function runTick() {
    tick += 1;
    const now = new Date().toISOString();
    for (const tenant of options.tenants) {
      const byModule = new Map<Module, Kpi[]>();
      for (const definition of kpiCatalog) {
        // Every KPI moves on the first tick; after that about half of them each tick.
        if (tick > 1 && random() < 0.5) continue;
        const kpi = step(tenant.id, tenant.currency, definition, now);
        byModule.set(kpi.module, [...(byModule.get(kpi.module) ?? []), kpi]);
      }
      for (const [module, kpis] of byModule) {
        await options.services.publishKpis({ tenantId: tenant.id, module, kpis });
      }
      await options.services.publishDashboards(tenant.id, RoleSchema.options);

      if (tick % NOTIFICATION_EVERY_TICKS === 0) {
        const role = pick(
          RoleSchema.options.filter((r) => r !== 'ADMIN'),
          random,
        );
        const made = activityFor(role, tenant.currency, random);
        if (made) {
          const audience: Audience = { kind: 'role', role };
          await options.services.publishNotification(tenant.id, audience, { ...made.draft, activity: made.activity });
        }
      }
      if (tick % ALERT_EVERY_TICKS === 0) {
        await options.services.publishAlert(tenant.id, pick(alerts, random));
      }
    }
  }

  return {
    /** Runs one tick now (tests drive the simulator this way). */
    async tick() {
      if (tick === 0) await seed();
      await runTick();
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        running = running
          .then(() => this.tick())
          .catch((error: unknown) =>
            options.logger.warn({ err: error, code: 'SIMULATOR_TICK_FAILED' }, 'simulator tick failed'),
          );
      }, options.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type Simulator = ReturnType<typeof createSimulator>;
