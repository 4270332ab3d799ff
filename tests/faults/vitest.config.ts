import { configDefaults, defineConfig } from 'vitest/config';

const full = process.env.FAULTS_FULL === '1';

// Open bugs of issue 8, kept out of `pnpm test` (CI) and run by `pnpm test:faults`, where they
// fail until they are fixed: with several API processes, each numbers a stream on its own, so
// during a Redis outage (no local delivery either: the adapter waits on Redis) or after a node
// dies, two nodes can hand out the same sequence number and clients never see the gap.
const openMultiNodeBugs = ['test/redis.test.ts', 'test/failover.test.ts'];

export default defineConfig({
  resolve: { conditions: ['@org/source'] },
  ssr: { resolve: { conditions: ['@org/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(full ? [] : openMultiNodeBugs)],
    globalSetup: ['./src/globalSetup.ts'],
    // Every file starts real API processes; one file at a time keeps 2 cores honest.
    fileParallelism: false,
    testTimeout: full ? 600_000 : 120_000,
    hookTimeout: 120_000,
  },
});
