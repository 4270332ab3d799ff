import { fileURLToPath } from 'node:url';

/** `pnpm test:faults` sets FAULTS_FULL=1: the full sizes of issue 8. `pnpm test` runs the fast part. */
export const FULL = process.env.FAULTS_FULL === '1';

/** The fast size in CI, the full one under `test:faults`. */
export const scale = (fast: number, full: number): number => (FULL ? full : fast);

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const JWT_SECRET = 'dev-only-secret-change-me-dev-only-secret';
export const SERVICE_KEY = 'dev-service-key';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something truthy; bounded by `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string | (() => string),
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(everyMs);
  }
}
