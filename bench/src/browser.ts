import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '@org/test-support';
import { sleep } from './clock.js';
import type { ScenarioResult } from './scenarios.js';
import { percentile, spread } from './stats.js';

const DIST = join(import.meta.dirname, '..', '..', 'apps', 'dashboard', 'dist');
const SERVICE_KEY = 'dev-service-key';
const TENANT = 'acme-lending';
const KEY = 'applications_today';

declare global {
  interface Window {
    __benchChanges: { at: number; text: string }[];
  }
}

/**
 * Scenario 7: the real API (`createApiServer`, simulator off) serving the built dashboard; KPI
 * updates go in through `POST /api/events`; a MutationObserver in headless Chromium stamps when the
 * value changes in the DOM. Both ends read Date.now() on the same machine.
 */
export async function browser(events: number, runs: number): Promise<ScenarioResult> {
  if (!existsSync(join(DIST, 'index.html'))) {
    execFileSync('pnpm', ['--filter', '@org/dashboard', 'build'], {
      stdio: 'inherit',
      cwd: join(DIST, '..', '..', '..'),
    });
  }
  const { createApiServer, loadConfig } = await import('@org/api');
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  const api = await createApiServer(
    loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DASHBOARD_DIST: DIST,
      SIMULATOR: 'false',
      DEMO_MODE: 'true',
      LOG_LEVEL: 'warn',
    }),
  );
  const url = await api.listen();
  const browserInstance = await launchChromium();
  const perRun: { latencies: number[]; missed: number }[] = [];
  try {
    const page = await browserInstance.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(url);
    await page.getByLabel('Username', { exact: true }).fill(`underwriter@${TENANT}`);
    await page.getByLabel('Password', { exact: true }).fill('demo1234');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('connection').filter({ hasText: /^Live/ }).waitFor({ timeout: 20_000 });
    const publish = async (value: number) => {
      const response = await fetch(`${url}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-service-key': SERVICE_KEY },
        body: JSON.stringify({
          event: 'kpi:update',
          data: {
            tenantId: TENANT,
            module: 'lending',
            kpis: [
              {
                key: KEY,
                module: 'lending',
                label: 'Applications today',
                value,
                unit: 'count',
                change: null,
                updatedAt: new Date().toISOString(),
              },
            ],
          },
        }),
      });
      if (!response.ok) throw new Error(`POST /api/events: ${response.status} ${await response.text()}`);
    };
    await publish(1);
    const card = `[data-module="lending"]`;
    await page.locator(`${card} [data-testid="kpi-value-${KEY}"]`).first().waitFor();
    await page.evaluate(
      ({ card, key }) => {
        window.__benchChanges = [];
        const root = document.querySelector(card) ?? document.body;
        let last = root.querySelector(`[data-testid="kpi-value-${key}"]`)?.textContent ?? '';
        new MutationObserver(() => {
          const text = root.querySelector(`[data-testid="kpi-value-${key}"]`)?.textContent ?? '';
          if (text !== last) {
            last = text;
            window.__benchChanges.push({ at: Date.now(), text });
          }
        }).observe(root, { subtree: true, childList: true, characterData: true });
      },
      { card, key: KEY },
    );
    let value = 100;
    for (let run = 0; run < runs; run += 1) {
      const latencies: number[] = [];
      let missed = 0;
      for (let index = 0; index < events; index += 1) {
        value += 1;
        const seen = await page.evaluate(() => window.__benchChanges.length);
        const publishedAt = Date.now();
        await publish(value);
        const changed = await page
          .waitForFunction((n) => window.__benchChanges.length > n, seen, { timeout: 5_000, polling: 5 })
          .then(() => true)
          .catch(() => false);
        if (!changed) {
          missed += 1;
          continue;
        }
        const change = await page.evaluate((n) => window.__benchChanges[n], seen);
        if (change) latencies.push(change.at - publishedAt);
        await sleep(20 + (index % 7) * 10); // irregular spacing, as live traffic is
      }
      perRun.push({ latencies, missed });
    }
  } finally {
    await browserInstance.close().catch(() => undefined);
    await api.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const p = (q: number) => spread(perRun.map((r) => percentile(r.latencies, q)));
  const p95 = p(95).median;
  return {
    checks: [{ target: 'browser: publish to DOM p95 < 100 ms', measured: `${p95.toFixed(1)} ms`, met: p95 < 100 }],
    tables: [
      {
        title: `7. Browser: POST /api/events to DOM update in headless Chromium, ${events} events per run`,
        note: 'Real API (createApiServer, PGlite, default conflation), built dashboard, MutationObserver on the KPI card; Date.now() on both ends.',
        rows: [
          {
            label: 'dashboard (underwriter, lending)',
            figures: {
              'p50 ms': p(50),
              'p95 ms': p(95),
              'max ms': spread(perRun.map((r) => Math.max(...r.latencies))),
              missed: String(perRun.reduce((sum, r) => sum + r.missed, 0)),
            },
          },
        ],
      },
    ],
    raw: perRun,
  };
}
