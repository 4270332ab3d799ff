import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    conditions: ['@org/source'],
    // `// @vitest-environment happy-dom-server` (see the file for why).
    alias: {
      'vitest-environment-happy-dom-server': fileURLToPath(
        new URL('./test/support/happyDomServer.ts', import.meta.url),
      ),
    },
  },
  ssr: { resolve: { conditions: ['@org/source'] } },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
