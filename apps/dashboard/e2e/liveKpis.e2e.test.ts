import { launchChromium } from '@org/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, type RunningApi, removeDir, screenshot, signIn, startApi } from './harness.js';

let api: RunningApi;
let browser: Browser;

beforeAll(async () => {
  api = await startApi();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  if (api) removeDir(api.dataDir);
});

describe('the dashboard, built and served by the API', () => {
  it('signs in and shows a KPI value changing live, without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const errors = collectPageErrors(page);
    await signIn(page, api.url, 'underwriter@acme-lending');
    const value = page.getByTestId('kpi-value-applications_today').first();
    await value.waitFor();
    const first = await value.textContent();
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    // The simulator walks every KPI; wait until this one shows a different figure.
    await page.waitForFunction(
      (before) =>
        document.querySelector('[data-module="lending"] [data-testid="kpi-value-applications_today"]')?.textContent !==
        before,
      first,
      { timeout: 30_000 },
    );
    expect(navigations).toEqual([]);
    expect(
      await page.locator('[data-module]').evaluateAll((panels) => panels.map((p) => p.getAttribute('data-module'))),
    ).toEqual(['lending', 'risk']);
    await screenshot(page, 'dashboard-desktop');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a phone-width screen', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const errors = collectPageErrors(page);
    await signIn(page, api.url, 'collector@globex-pay');
    await page.getByTestId('kpi-value-accounts_in_arrears').first().waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'dashboard-phone');
    expect(errors).toEqual([]);
    await page.close();
  });
});
