import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/broker/**', 'test/system/**'],
    // Each file in its own process, with gc() exposed for the lifetime tests. Native handles
    // and librdkafka threads stay out of worker_threads the runner does not own.
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Three files at a time on two cores: most of a group test's time is waiting on the
    // coordinator (about 30 s of CPU in 85 s), so files overlap well.
    fileParallelism: true,
    maxWorkers: 3,
  },
})
