import { launchChromium } from '@org/test-support';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, publish, type RunningApi, removeDir, screenshot, signIn, startApi } from './harness.js';

// The simulator ticks once by hand and then not again for a minute, so that nothing but the test
// publishes notifications or alerts while it counts them.
const QUIET = { simulatorMs: 60_000 };

let api: RunningApi;
let browser: Browser;

beforeAll(async () => {
  api = await startApi(QUIET);
  await api.simulator.tick();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  if (api) removeDir(api.dataDir);
});

async function openPage(width = 1366, height = 900) {
  const page = await browser.newPage({ viewport: { width, height } });
  return { page, errors: collectPageErrors(page) };
}

const modulesShown = (page: Page) =>
  page.locator('[data-module]').evaluateAll((panels) => panels.map((p) => p.getAttribute('data-module')));

const badge = (page: Page) => page.getByTestId('unread-badge');

describe('tenancy and roles in the browser', () => {
  it('shows two roles in two tenants only what each may see', async () => {
    const acme = await openPage();
    await signIn(acme.page, api.url, 'underwriter@acme-lending');
    await acme.page.locator('[data-module="risk"] .kpi-card').first().waitFor();
    expect(await modulesShown(acme.page)).toEqual(['lending', 'risk']);
    await expect(acme.page.locator('.tenant-name').textContent()).resolves.toBe('Acme Lending');

    const globex = await openPage();
    await signIn(globex.page, api.url, 'support@globex-pay');
    await globex.page.locator('[data-module="support"] .kpi-card').first().waitFor();
    expect(await modulesShown(globex.page)).toEqual(['payments', 'support']);
    expect(await globex.page.getByRole('link', { name: 'Admin' }).count()).toBe(0);

    // A notification for Acme's underwriters reaches the Acme page and never the Globex one.
    const title = `Acme-only application ${Date.now()}`;
    await publish(api, {
      event: 'notification:new',
      tenantId: 'acme-lending',
      audience: { kind: 'role', role: 'UNDERWRITER' },
      data: { severity: 'info', title, body: 'Only Acme underwriters may see this' },
    });
    await acme.page.getByText(title).first().waitFor();
    await globex.page.waitForTimeout(500);
    expect(await globex.page.getByText(title).count()).toBe(0);
    expect([...acme.errors, ...globex.errors]).toEqual([]);
    await acme.page.close();
    await globex.page.close();
  });
});

describe('notifications', () => {
  it('turns a published notification into a toast and a badge; mark all read clears it for good', async () => {
    const { page, errors } = await openPage();
    await signIn(page, api.url, 'collector@acme-lending');
    const before = (await badge(page).count()) === 0 ? 0 : Number(await badge(page).textContent());

    const title = `Borrower B-${Date.now()} missed a payment`;
    await publish(api, {
      event: 'notification:new',
      tenantId: 'acme-lending',
      audience: { kind: 'role', role: 'COLLECTION_AGENT' },
      data: {
        severity: 'warning',
        title,
        body: '30 days past due',
        action: { label: 'Open account', href: '/accounts/B-1' },
      },
    });
    const toast = page.locator('[data-sonner-toast]').filter({ hasText: title });
    await toast.waitFor();
    await expect(badge(page).textContent()).resolves.toBe(String(before + 1));
    await screenshot(page, 'notification-toast');

    await page.getByTestId('bell').click();
    const drawer = page.getByRole('dialog', { name: 'Notifications' });
    await drawer.getByText(title).waitFor();
    await screenshot(page, 'notification-centre');
    await drawer.getByRole('button', { name: 'Mark all read' }).click();
    await badge(page).waitFor({ state: 'detached' });

    await page.reload();
    await page.getByTestId('connection').filter({ hasText: /^Live/ }).waitFor();
    await page.locator('[data-module] .kpi-card').first().waitFor();
    expect(await badge(page).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('system alerts', () => {
  it('shows a new alert in the banner and acknowledges it', async () => {
    const { page, errors } = await openPage();
    await signIn(page, api.url, 'finance@acme-lending');
    const title = `Card processor down ${Date.now()}`;
    const { id } = await publish(api, {
      event: 'alert:new',
      tenantId: 'acme-lending',
      data: {
        severity: 'critical',
        category: 'payments',
        title,
        message: 'All card authorisations failing',
        module: 'payments',
      },
    });
    const alert = page.locator(`[data-alert="${id}"]`);
    await alert.waitFor();
    await screenshot(page, 'alert-banner');
    await alert.getByRole('button', { name: /Acknowledge/ }).click();
    await alert.waitFor({ state: 'detached' });
    await page.reload();
    await page.getByTestId('connection').filter({ hasText: /^Live/ }).waitFor();
    await page.locator('[data-module] .kpi-card').first().waitFor();
    expect(await page.locator(`[data-alert="${id}"]`).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('connection indicator', () => {
  it('goes from Live to Polling or Offline when the API stops, and back to Live when it returns', async () => {
    const { page } = await openPage();
    await signIn(page, api.url, 'risk@acme-lending');
    const indicator = page.getByTestId('connection');
    const { port, dataDir } = api;

    await api.close();
    await indicator.filter({ hasText: /Polling|Offline|Reconnecting/ }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'connection-down');
    expect(await indicator.textContent()).not.toMatch(/^Live/);

    api = await startApi({ ...QUIET, port, dataDir });
    await indicator.filter({ hasText: /^Live/ }).waitFor({ timeout: 45_000 });
    await page.close();
  });
});

describe('admin page', () => {
  it('shows live connection stats to an admin', async () => {
    const { page, errors } = await openPage();
    await signIn(page, api.url, 'admin@acme-lending');
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: /Realtime admin/ }).waitFor();
    await page.getByText('Connections (tenant)').waitFor();
    const connections = page.locator('.kpi-card', { hasText: 'Connections (tenant)' }).locator('.kpi-value');
    await expect
      .poll(async () => Number(await connections.textContent()), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(1);
    // The admin itself is online, shown from the presence snapshot without waiting for a change.
    await page.getByRole('cell', { name: 'acme-lending.admin' }).waitFor();
    // And again after a reload: the old socket left and the new one arrived while the page fetched
    // its snapshot, so the list it must show is the one last published.
    await page.reload();
    await page.getByRole('cell', { name: 'acme-lending.admin' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'admin');
    expect(errors).toEqual([]);
    await page.close();
  });
});
