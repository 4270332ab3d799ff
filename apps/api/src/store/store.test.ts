import {
  AlertAcknowledged,
  type AlertDraft,
  Kpi,
  KpiWithHistory,
  type Module,
  Notification,
  type NotificationDraft,
  NotificationsPage,
  NotificationsRead,
  SystemAlert,
} from '@org/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from './errors.js';
import { KPI_HISTORY_LENGTH } from './kpis.js';
import { migrate } from './migrations.js';
import { createStore, openDriver } from './store.js';
import type { Store, StoreOptions, Viewer } from './types.js';

const DATABASE_URL = process.env.DATABASE_URL;

interface StoreUnderTest {
  store: Store;
  dispose(): Promise<void>;
}

// ------------------------------------------------------------------ fixtures

let sequence = 0;
/** A tenant id no other test uses, so tests sharing one database never see each other's rows. */
function uniqueTenant(): string {
  sequence += 1;
  return `t${sequence}-${Math.random().toString(36).slice(2, 10)}`;
}

function viewer(tenantId: string, userId: string, roles: Viewer['roles'] = ['SUPPORT_AGENT']): Viewer {
  return { tenantId, userId, roles };
}

function draft(title: string, extra: Partial<NotificationDraft> = {}): NotificationDraft {
  return { severity: 'info', title, body: `${title} body`, ...extra };
}

function alertDraft(title: string, extra: Partial<AlertDraft> = {}): AlertDraft {
  return { severity: 'warning', category: 'infrastructure', title, message: `${title} message`, ...extra };
}

function kpi(key: string, module: Module, value: number, updatedAt: Date, extra: Partial<Kpi> = {}): Kpi {
  return {
    key,
    module,
    label: key.replace(/_/g, ' '),
    value,
    unit: 'count',
    change: null,
    updatedAt: updatedAt.toISOString(),
    ...extra,
  };
}

async function expectStoreError(promise: Promise<unknown>, code: StoreError['code']): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  return error as StoreError;
}

async function allPages(store: Store, who: Viewer, limit: number): Promise<Notification[]> {
  const items: Notification[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const result = await store.listNotifications(who, cursor === undefined ? { limit } : { cursor, limit });
    items.push(...result.items);
    if (result.nextCursor === null) return items;
    cursor = result.nextCursor;
  }
  throw new Error('pagination did not end');
}

// ------------------------------------------------------------------ the shared suite

/** The behaviour every store must have, whatever database is behind it. */
function describeStore(name: string, open: () => Promise<StoreUnderTest>) {
  describe(name, () => {
    let subject: StoreUnderTest;
    let store: Store;

    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.dispose();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('notifications', () => {
      it('creates a contract-valid notification with a ULID id', async () => {
        const tenant = uniqueTenant();
        const created = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'role', role: 'UNDERWRITER' },
          draft: draft('New application', {
            severity: 'warning',
            activity: {
              type: 'loan_application',
              applicationId: 'app-1',
              applicant: 'Ada Lovelace',
              product: 'SME loan',
              requested: { amount: 25_000, currency: 'EUR' },
            },
            action: { label: 'Open', href: '/applications/app-1' },
          }),
        });
        expect(Notification.parse(created)).toEqual(created);
        expect(created.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
        expect(created.readAt).toBeNull();
        expect(created.tenantId).toBe(tenant);

        const page = await store.listNotifications(viewer(tenant, 'uma', ['UNDERWRITER']), { limit: 10 });
        expect(NotificationsPage.parse(page)).toEqual(page);
        expect(page.items).toEqual([created]);
        expect(page.unreadCount).toBe(1);
      });

      it('keeps an explicit id and creation time, and refuses a duplicate id', async () => {
        const tenant = uniqueTenant();
        const createdAt = new Date('2026-01-02T03:04:05.678Z');
        const id = `n-${tenant}`;
        const created = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'tenant' },
          draft: draft('Pinned'),
          id,
          createdAt,
        });
        expect(created).toMatchObject({ id, createdAt: createdAt.toISOString() });
        await expectStoreError(
          store.createNotification({ tenantId: tenant, audience: { kind: 'tenant' }, draft: draft('Again'), id }),
          'CONFLICT',
        );
      });

      it('rejects an invalid notification with the zod issues', async () => {
        const error = await expectStoreError(
          store.createNotification({
            tenantId: 'Not A Slug',
            audience: { kind: 'tenant' },
            draft: { severity: 'info', title: '', body: '' },
          }),
          'INVALID_PAYLOAD',
        );
        expect(error.issues?.map((issue) => issue.path.join('.'))).toEqual(
          expect.arrayContaining(['tenantId', 'draft.title']),
        );
      });

      it('shows each viewer exactly its user, role and tenant notifications', async () => {
        const tenant = uniqueTenant();
        const forAlice = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'user', userId: 'alice' },
          draft: draft('For Alice'),
        });
        const forUnderwriters = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'role', role: 'UNDERWRITER' },
          draft: draft('For underwriters'),
        });
        const forEveryone = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'tenant' },
          draft: draft('For everyone'),
        });
        const ids = async (who: Viewer) =>
          (await store.listNotifications(who, { limit: 100 })).items.map((item) => item.id).sort();

        expect(await ids(viewer(tenant, 'alice', ['UNDERWRITER']))).toEqual(
          [forAlice.id, forUnderwriters.id, forEveryone.id].sort(),
        );
        expect(await ids(viewer(tenant, 'alice', ['FINANCE_MANAGER']))).toEqual([forAlice.id, forEveryone.id].sort());
        expect(await ids(viewer(tenant, 'bob', ['UNDERWRITER', 'ADMIN']))).toEqual(
          [forUnderwriters.id, forEveryone.id].sort(),
        );
        expect(await ids(viewer(tenant, 'carol', ['RISK_ANALYST']))).toEqual([forEveryone.id]);
        expect(await store.unreadCount(viewer(tenant, 'carol', ['RISK_ANALYST']))).toBe(1);
      });

      it('paginates newest first with no duplicates or gaps while new notifications arrive', async () => {
        const tenant = uniqueTenant();
        const who = viewer(tenant, 'pat');
        const original: Notification[] = [];
        for (let index = 0; index < 23; index += 1) {
          original.push(
            await store.createNotification({
              tenantId: tenant,
              audience: { kind: 'tenant' },
              draft: draft(`n${index}`),
            }),
          );
        }
        const seen: Notification[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listNotifications(who, cursor === undefined ? { limit: 5 } : { cursor, limit: 5 });
          pages += 1;
          seen.push(...page.items);
          cursor = page.nextCursor ?? undefined;
          // Newer rows arrive between pages; they belong before the first page, not in the next one.
          await store.createNotification({ tenantId: tenant, audience: { kind: 'tenant' }, draft: draft('late') });
        } while (cursor !== undefined);

        expect(pages).toBe(5);
        expect(seen.map((item) => item.id)).toEqual(original.map((item) => item.id).reverse());
        const all = await allPages(store, who, 7);
        expect(all).toHaveLength(23 + 5);
        expect(new Set(all.map((item) => item.id)).size).toBe(all.length);
      });

      it('orders notifications created in the same millisecond by id, across pages', async () => {
        const tenant = uniqueTenant();
        const createdAt = new Date('2026-03-01T12:00:00.000Z');
        const made: string[] = [];
        for (let index = 0; index < 9; index += 1) {
          made.push(
            (
              await store.createNotification({
                tenantId: tenant,
                audience: { kind: 'tenant' },
                draft: draft(`same ms ${index}`),
                createdAt,
              })
            ).id,
          );
        }
        const all = await allPages(store, viewer(tenant, 'sam'), 2);
        expect(all.map((item) => item.id)).toEqual([...made].sort().reverse());
      });

      it('rejects an invalid cursor or limit with INVALID_PAYLOAD', async () => {
        const who = viewer(uniqueTenant(), 'ivy');
        for (const cursor of [
          'not a cursor!',
          Buffer.from('{"a":1}').toString('base64url'),
          Buffer.from('["yesterday","01ARZ3NDEKTSV4RRFFQ69G5FAV"]').toString('base64url'),
          Buffer.from('["2026-01-01T00:00:00.000Z","bad:id"]').toString('base64url'),
        ]) {
          await expectStoreError(store.listNotifications(who, { cursor, limit: 10 }), 'INVALID_PAYLOAD');
        }
        await expectStoreError(store.listNotifications(who, { limit: 0 }), 'INVALID_PAYLOAD');
        await expectStoreError(store.listNotifications(who, { limit: 101 }), 'INVALID_PAYLOAD');
      });

      it('keeps read state per user for role and tenant notifications', async () => {
        const tenant = uniqueTenant();
        const alice = viewer(tenant, 'alice', ['COLLECTION_AGENT']);
        const bob = viewer(tenant, 'bob', ['COLLECTION_AGENT']);
        const forRole = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'role', role: 'COLLECTION_AGENT' },
          draft: draft('Overdue account'),
        });
        const forTenant = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'tenant' },
          draft: draft('Maintenance tonight'),
        });

        const read = await store.markRead(alice, forRole.id);
        expect(read).not.toBeNull();
        expect(NotificationsRead.parse(read)).toEqual(read);
        expect(read).toMatchObject({ ids: [forRole.id], all: false, unreadCount: 1 });
        expect((await store.markRead(alice, forTenant.id))?.unreadCount).toBe(0);

        expect(await store.unreadCount(alice)).toBe(0);
        expect(await store.unreadCount(bob)).toBe(2);
        const bobs = await store.listNotifications(bob, { limit: 10 });
        expect(bobs.items.map((item) => item.readAt)).toEqual([null, null]);
        const alices = await store.listNotifications(alice, { limit: 10 });
        expect(alices.items.every((item) => item.readAt !== null)).toBe(true);
        expect(alices.unreadCount).toBe(0);
      });

      it('marks read idempotently, keeping the first read time', async () => {
        const tenant = uniqueTenant();
        const who = viewer(tenant, 'ida');
        const created = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'user', userId: 'ida' },
          draft: draft('Once'),
        });
        await store.createNotification({ tenantId: tenant, audience: { kind: 'tenant' }, draft: draft('Other') });
        const first = await store.markRead(who, created.id);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const second = await store.markRead(who, created.id);
        expect(second).toEqual(first);
        expect(first?.unreadCount).toBe(1);
      });

      it('marks all read for one user only, and counts what arrives afterwards', async () => {
        const tenant = uniqueTenant();
        const mia = viewer(tenant, 'mia', ['RISK_ANALYST']);
        const ned = viewer(tenant, 'ned', ['RISK_ANALYST']);
        const earlier = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'role', role: 'RISK_ANALYST' },
          draft: draft('Risk 1'),
        });
        const readOneByOne = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'tenant' },
          draft: draft('Read first'),
        });
        const forMia = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'user', userId: 'mia' },
          draft: draft('Mia only'),
        });
        const single = await store.markRead(mia, readOneByOne.id);

        const all = await store.markAllRead(mia);
        expect(NotificationsRead.parse(all)).toEqual(all);
        expect(all.all).toBe(true);
        expect(all.unreadCount).toBe(0);
        expect([...all.ids].sort()).toEqual([earlier.id, forMia.id].sort());
        expect(await store.unreadCount(mia)).toBe(0);
        expect(await store.unreadCount(ned)).toBe(2);

        const page = await store.listNotifications(mia, { limit: 10 });
        const readAt = new Map(page.items.map((item) => [item.id, item.readAt]));
        expect(readAt.get(readOneByOne.id)).toBe(single?.readAt);
        expect(readAt.get(earlier.id)).toBe(all.readAt);

        const later = await store.createNotification({
          tenantId: tenant,
          audience: { kind: 'role', role: 'RISK_ANALYST' },
          draft: draft('Risk 2'),
        });
        expect(await store.unreadCount(mia)).toBe(1);
        expect(await store.markRead(mia, earlier.id)).toMatchObject({ readAt: all.readAt, unreadCount: 1 });

        await new Promise((resolve) => setTimeout(resolve, 5));
        const again = await store.markAllRead(mia);
        expect(again.ids).toEqual([later.id]);
        const after = await store.listNotifications(mia, { limit: 10 });
        const readAtAfter = new Map(after.items.map((item) => [item.id, item.readAt]));
        // An earlier "mark all read" keeps the time it read its notifications.
        expect(readAtAfter.get(earlier.id)).toBe(all.readAt);
        expect(readAtAfter.get(later.id)).toBe(again.readAt);
        expect(after.unreadCount).toBe(0);

        const nothing = await store.markAllRead(mia);
        expect(nothing).toMatchObject({ ids: [], all: true, unreadCount: 0 });
      });

      it('"mark all read" racing new notifications marks only what it reported, and counts the rest', async () => {
        const tenant = uniqueTenant();
        const who = viewer(tenant, 'rae');
        const creates: Promise<Notification>[] = [];
        const marks: Promise<NotificationsRead>[] = [];
        for (let index = 0; index < 60; index += 1) {
          creates.push(
            store.createNotification({ tenantId: tenant, audience: { kind: 'tenant' }, draft: draft(`race ${index}`) }),
          );
          if (index % 15 === 7) marks.push(store.markAllRead(who));
        }
        const [created, results] = await Promise.all([Promise.all(creates), Promise.all(marks)]);
        const reported = new Map<string, Set<string>>();
        for (const result of results) {
          const ids = reported.get(result.readAt) ?? new Set<string>();
          for (const id of result.ids) ids.add(id);
          reported.set(result.readAt, ids);
        }
        const items = await allPages(store, who, 100);
        expect(items).toHaveLength(created.length);
        // A notification is read only by the "mark all read" that listed it (never one it did not see).
        for (const item of items) {
          if (item.readAt !== null) expect(reported.get(item.readAt)?.has(item.id)).toBe(true);
        }
        expect(await store.unreadCount(who)).toBe(items.filter((item) => item.readAt === null).length);
      });

      it('never lets a viewer see, read or mark another tenant or user’s notifications', async () => {
        const tenantA = uniqueTenant();
        const tenantB = uniqueTenant();
        const intruder = viewer(tenantB, 'alice', ['ADMIN', 'UNDERWRITER']);
        const aliceA = viewer(tenantA, 'alice', ['ADMIN', 'UNDERWRITER']);
        const bobA = viewer(tenantA, 'bob', ['SUPPORT_AGENT']);
        const forAlice = await store.createNotification({
          tenantId: tenantA,
          audience: { kind: 'user', userId: 'alice' },
          draft: draft('Private'),
        });
        const forTenant = await store.createNotification({
          tenantId: tenantA,
          audience: { kind: 'tenant' },
          draft: draft('Tenant A only'),
        });
        const forAdmins = await store.createNotification({
          tenantId: tenantA,
          audience: { kind: 'role', role: 'ADMIN' },
          draft: draft('Admins of A'),
        });

        // Same user id and roles, other tenant: nothing.
        expect(await store.listNotifications(intruder, { limit: 100 })).toEqual({
          items: [],
          nextCursor: null,
          unreadCount: 0,
        });
        expect(await store.unreadCount(intruder)).toBe(0);
        for (const id of [forAlice.id, forTenant.id, forAdmins.id]) {
          expect(await store.markRead(intruder, id)).toBeNull();
        }
        expect(await store.markAllRead(intruder)).toMatchObject({ ids: [], unreadCount: 0 });
        // A cursor made in tenant A does not open tenant A to tenant B.
        const pageA = await store.listNotifications(aliceA, { limit: 1 });
        expect(pageA.nextCursor).not.toBeNull();
        expect(
          (await store.listNotifications(intruder, { cursor: pageA.nextCursor ?? undefined, limit: 10 })).items,
        ).toEqual([]);

        // Same tenant, other user: not Alice's notification, nor the admins'.
        expect(await store.markRead(bobA, forAlice.id)).toBeNull();
        expect(await store.markRead(bobA, forAdmins.id)).toBeNull();
        expect(await store.markRead(bobA, 'no-such-notification')).toBeNull();
        expect(await store.markRead(bobA, 'not:an:id')).toBeNull();
        expect((await store.listNotifications(bobA, { limit: 10 })).items.map((item) => item.id)).toEqual([
          forTenant.id,
        ]);

        // Nothing of the above changed Alice's read state in tenant A.
        expect(await store.unreadCount(aliceA)).toBe(3);
      });
    });

    describe('system alerts', () => {
      it('lists the tenant’s and the system-wide alerts, newest first, limited', async () => {
        const tenantA = uniqueTenant();
        const tenantB = uniqueTenant();
        const forA = await store.createAlert({
          tenantId: tenantA,
          draft: alertDraft('A only', { module: 'payments' }),
        });
        const forB = await store.createAlert({ tenantId: tenantB, draft: alertDraft('B only') });
        const systemWide = await store.createAlert({
          tenantId: null,
          draft: alertDraft('Everyone', { severity: 'critical' }),
        });
        expect(SystemAlert.parse(forA)).toEqual(forA);
        expect(forA).toMatchObject({
          tenantId: tenantA,
          module: 'payments',
          acknowledgedAt: null,
          acknowledgedBy: null,
        });
        expect(systemWide.tenantId).toBeNull();

        // Other tests add system-wide alerts too; look only at this test's.
        const mine = new Set([forA.id, forB.id, systemWide.id]);
        const listA = (await store.listAlerts(viewer(tenantA, 'amy'), 100)).filter((alert) => mine.has(alert.id));
        expect(listA.map((alert) => alert.id)).toEqual([systemWide.id, forA.id]);
        const listB = (await store.listAlerts(viewer(tenantB, 'ben'), 100)).filter((alert) => mine.has(alert.id));
        expect(listB.map((alert) => alert.id)).toEqual([systemWide.id, forB.id]);
        for (const alert of listA) expect(SystemAlert.parse(alert)).toEqual(alert);

        const newest = await store.listAlerts(viewer(tenantA, 'amy'), 1);
        expect(newest).toHaveLength(1);
        await expectStoreError(store.listAlerts(viewer(tenantA, 'amy'), 0), 'INVALID_PAYLOAD');
      });

      it('acknowledges per tenant, keeps the first acknowledgement, and refuses other tenants', async () => {
        const tenantA = uniqueTenant();
        const tenantB = uniqueTenant();
        const amy = viewer(tenantA, 'amy', ['ADMIN']);
        const abe = viewer(tenantA, 'abe', ['ADMIN']);
        const ben = viewer(tenantB, 'ben', ['ADMIN']);
        const systemWide = await store.createAlert({ tenantId: null, draft: alertDraft('Payments degraded') });
        const forA = await store.createAlert({
          tenantId: tenantA,
          draft: alertDraft('A: risk spike', { category: 'risk' }),
        });

        const ack = await store.acknowledgeAlert(amy, systemWide.id);
        expect(AlertAcknowledged.parse(ack)).toEqual(ack);
        expect(ack).toMatchObject({ id: systemWide.id, acknowledgedBy: 'amy' });
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(await store.acknowledgeAlert(abe, systemWide.id)).toEqual(ack);

        const find = async (who: Viewer, id: string) =>
          (await store.listAlerts(who, 100)).find((alert) => alert.id === id);
        expect(await find(amy, systemWide.id)).toMatchObject({
          acknowledgedAt: ack?.acknowledgedAt,
          acknowledgedBy: 'amy',
        });
        // Tenant B has not acknowledged the system-wide alert.
        expect(await find(ben, systemWide.id)).toMatchObject({ acknowledgedAt: null, acknowledgedBy: null });
        // Tenant B can neither see nor acknowledge tenant A's alert.
        expect(await find(ben, forA.id)).toBeUndefined();
        expect(await store.acknowledgeAlert(ben, forA.id)).toBeNull();
        expect(await find(amy, forA.id)).toMatchObject({ acknowledgedAt: null });
        expect(await store.acknowledgeAlert(ben, 'no-such-alert')).toBeNull();

        const benAck = await store.acknowledgeAlert(ben, systemWide.id);
        expect(benAck?.acknowledgedBy).toBe('ben');
        expect(await find(amy, systemWide.id)).toMatchObject({ acknowledgedBy: 'amy' });
      });
    });

    describe('KPIs', () => {
      it('keeps the latest value per KPI and a bounded history, oldest first', async () => {
        const tenant = uniqueTenant();
        const start = Date.parse('2026-05-01T00:00:00.000Z');
        const updates = KPI_HISTORY_LENGTH + 7;
        for (let index = 0; index < updates; index += 1) {
          const at = new Date(start + index * 1000);
          await store.upsertKpis(tenant, 'payments', [
            kpi('volume', 'payments', index, at, {
              unit: 'currency',
              currency: 'EUR',
              change: index === 0 ? null : 0.01,
            }),
            kpi('failures', 'payments', index * 2, at),
          ]);
        }
        const kpis = await store.getKpis(tenant, 'payments');
        for (const item of kpis) expect(KpiWithHistory.parse(item)).toEqual(item);
        expect(kpis.map((item) => item.key)).toEqual(['failures', 'volume']);
        const volume = kpis[1];
        expect(volume).toMatchObject({
          value: updates - 1,
          currency: 'EUR',
          unit: 'currency',
          change: 0.01,
          updatedAt: new Date(start + (updates - 1) * 1000).toISOString(),
        });
        expect(volume?.history).toHaveLength(KPI_HISTORY_LENGTH);
        expect(volume?.history).toEqual(
          Array.from({ length: KPI_HISTORY_LENGTH }, (_, index) => updates - KPI_HISTORY_LENGTH + index),
        );
        expect(kpis[0]?.history.at(-1)).toBe((updates - 1) * 2);
        expect(kpis[0]).not.toHaveProperty('currency');
      });

      it('ignores an update older than the stored value, and keeps the newest of a batch', async () => {
        const tenant = uniqueTenant();
        const now = new Date('2026-05-01T10:00:00.000Z');
        await store.upsertKpis(tenant, 'risk', [kpi('score', 'risk', 10, now)]);
        await store.upsertKpis(tenant, 'risk', [kpi('score', 'risk', 5, new Date(now.getTime() - 1000))]);
        await store.upsertKpis(tenant, 'risk', [
          kpi('score', 'risk', 30, new Date(now.getTime() + 2000)),
          kpi('score', 'risk', 20, new Date(now.getTime() + 1000)),
        ]);
        const [score] = await store.getKpis(tenant, 'risk');
        expect(score).toMatchObject({ value: 30, history: [10, 30] });
      });

      it('writes nothing of an invalid batch', async () => {
        const tenant = uniqueTenant();
        const now = new Date();
        await expectStoreError(
          store.upsertKpis(tenant, 'lending', [kpi('approved', 'lending', 1, now), kpi('stray', 'payments', 2, now)]),
          'INVALID_PAYLOAD',
        );
        await expectStoreError(
          store.upsertKpis(tenant, 'lending', [kpi('approved', 'lending', 1, now), kpi('Bad Key', 'lending', 2, now)]),
          'INVALID_PAYLOAD',
        );
        await expectStoreError(
          store.upsertKpis(tenant, 'lending', [kpi('approved', 'lending', Number.NaN, now)]),
          'INVALID_PAYLOAD',
        );
        expect(await store.getKpis(tenant, 'lending')).toEqual([]);
      });

      it('returns the latest KPIs of every module of one tenant only', async () => {
        const tenantA = uniqueTenant();
        const tenantB = uniqueTenant();
        const now = new Date();
        await store.upsertKpis(tenantA, 'lending', [
          kpi('approved', 'lending', 12, now),
          kpi('applications', 'lending', 40, now),
        ]);
        await store.upsertKpis(tenantA, 'support', [kpi('open_tickets', 'support', 7, now)]);
        await store.upsertKpis(tenantB, 'lending', [kpi('approved', 'lending', 99, now)]);
        const latest = await store.getLatestKpis(tenantA);
        for (const item of latest) expect(Kpi.parse(item)).toEqual(item);
        expect(latest.map((item) => `${item.module}/${item.key}=${item.value}`)).toEqual([
          'lending/applications=40',
          'lending/approved=12',
          'support/open_tickets=7',
        ]);
        expect((await store.getKpis(tenantB, 'lending')).map((item) => item.value)).toEqual([99]);
        expect(await store.getKpis(tenantB, 'support')).toEqual([]);
      });
    });
  });
}

// ------------------------------------------------------------------ the databases

describeStore('store on PGlite (memory)', async () => {
  const store = await createStore({ dataDir: 'memory://' });
  expect(store.kind).toBe('pglite');
  return { store, dispose: () => store.close() };
});

describe.runIf(DATABASE_URL)('on PostgreSQL (DATABASE_URL)', () => {
  const url = DATABASE_URL ?? '';
  /** A fresh schema per run, dropped afterwards, so runs never see each other's rows. */
  const freshSchema = () => `store_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const dropSchema = async (schema: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  };

  describeStore('store on PostgreSQL', async () => {
    const schema = freshSchema();
    const store = await createStore({ databaseUrl: url, schema });
    expect(store.kind).toBe('postgres');
    return {
      store,
      dispose: async () => {
        await store.close();
        await dropSchema(schema);
      },
    };
  });

  it('applies the migrations once, however often it starts', async () => {
    const schema = freshSchema();
    const options: StoreOptions = { databaseUrl: url, schema };
    try {
      const [first, second] = await Promise.all([openDriver(options), openDriver(options)]);
      if (!first || !second) throw new Error('no driver');
      // Two processes starting together: one applies, the other waits and finds nothing to do.
      const applied = await Promise.all([migrate(first), migrate(second)]);
      expect(applied.flat()).toEqual([1]);
      expect(await migrate(first)).toEqual([]);
      await Promise.all([first.close(), second.close()]);
    } finally {
      await dropSchema(schema);
    }
  });
});

describe('store lifecycle', () => {
  it('applies the migrations once on PGlite', async () => {
    const driver = await openDriver({ dataDir: 'memory://' });
    try {
      expect(await migrate(driver)).toEqual([1]);
      expect(await migrate(driver)).toEqual([]);
      const rows = await driver.query<{ version: number }>('SELECT version FROM schema_migrations');
      expect(rows).toEqual([{ version: 1 }]);
    } finally {
      await driver.close();
    }
  });

  it('fails with UNAVAILABLE when PostgreSQL cannot be reached', async () => {
    await expectStoreError(createStore({ databaseUrl: 'postgres://nobody:nothing@127.0.0.1:1/none' }), 'UNAVAILABLE');
  });

  it('fails with UNAVAILABLE once closed', async () => {
    const store = await createStore({});
    await store.close();
    await store.close();
    await expectStoreError(store.ping(), 'UNAVAILABLE');
    await expectStoreError(store.unreadCount(viewer('acme', 'amy')), 'UNAVAILABLE');
  });
});
