import type { DemoUser, Role } from '@org/contracts';

export type Tenant = { id: string; name: string; currency: string };

export const demoTenants: Tenant[] = [
  { id: 'acme-lending', name: 'Acme Lending', currency: 'USD' },
  { id: 'globex-pay', name: 'Globex Payments', currency: 'EUR' },
];

const people: Record<Role, [string, string]> = {
  ADMIN: ['admin', 'Ada Admin'],
  UNDERWRITER: ['underwriter', 'Uma Underwood'],
  COLLECTION_AGENT: ['collector', 'Cole Collins'],
  FINANCE_MANAGER: ['finance', 'Fiona Finch'],
  RISK_ANALYST: ['risk', 'Rita Riskin'],
  SUPPORT_AGENT: ['support', 'Sam Support'],
};

export type Account = DemoUser & { userId: string };

/** One account per role in each demo tenant: `underwriter@acme-lending` / `demo1234`, and so on. */
export const demoAccounts: Account[] = demoTenants.flatMap((tenant) =>
  (Object.entries(people) as [Role, [string, string]][]).map(([role, [handle, displayName]]) => ({
    username: `${handle}@${tenant.id}`,
    password: 'demo1234',
    displayName,
    tenantId: tenant.id,
    roles: [role],
    userId: `${tenant.id}.${handle}`,
  })),
);
