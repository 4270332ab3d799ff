import { builtinEnvironments, type Environment } from 'vitest/environments';

/**
 * happy-dom, with modules transformed the server (SSR) way. The real API runs in the test's
 * process, and must not get browser-only rewrites such as Vite's handling of
 * `new URL('…', import.meta.url)` as an asset URL.
 */
const happyDomServer: Environment = {
  ...builtinEnvironments['happy-dom'],
  name: 'happy-dom-server',
  viteEnvironment: 'ssr',
};

export default happyDomServer;
