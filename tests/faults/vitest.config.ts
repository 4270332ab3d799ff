import { defineConfig } from 'vitest/config';

const full = process.env.FAULTS_FULL === '1';

export default defineConfig({
  resolve: { conditions: ['@org/source'] },
  ssr: { resolve: { conditions: ['@org/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./src/globalSetup.ts'],
    // Every file starts real API processes; one file at a time keeps 2 cores honest.
    fileParallelism: false,
    testTimeout: full ? 600_000 : 120_000,
    hookTimeout: 120_000,
  },
});
