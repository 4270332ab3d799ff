import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ApiServer, createApiServer, loadConfig } from '@org/api';
import type { Page } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const DIST = join(here, '..', 'dist');
export const SCREENSHOTS = join(here, '..', '..', '..', 'screenshots');
export const SERVICE_KEY = 'dev-service-key';

export type RunningApi = ApiServer & { url: string; dataDir: string; port: number };

/** The real API serving the built dashboard from one port, as in production. */
export async function startApi(
  options: { port?: number; dataDir?: string; simulatorMs?: number } = {},
): Promise<RunningApi> {
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error(`No built dashboard at ${DIST}: run \`pnpm --filter @org/dashboard build\` first`);
  }
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'e2e-api-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(options.port ?? 0),
    DATA_DIR: dataDir,
    DASHBOARD_DIST: DIST,
    SIMULATOR: 'true',
    SIMULATOR_INTERVAL_MS: String(options.simulatorMs ?? 400),
    DEMO_MODE: 'true',
  });
  const api = await createApiServer(config);
  const url = await api.listen();
  return Object.assign(api, { url, dataDir, port: Number(new URL(url).port) });
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

/** Fails the test on any console error or uncaught page error. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

export async function signIn(page: Page, url: string, username: string) {
  await page.goto(url);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill('demo1234');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('connection').filter({ hasText: /^Live/ }).waitFor({ timeout: 15_000 });
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

export async function publish(api: { url: string }, body: unknown) {
  const response = await fetch(`${api.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-service-key': SERVICE_KEY },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) throw new Error(`publish failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string | null };
}
