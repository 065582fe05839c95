import { defineConfig } from 'vitest/config'

// Tests against real Apache Kafka brokers started by `npm run kafka:start` (see README). They
// fail, rather than skip, when no broker is running: this group is run on purpose.
export default defineConfig({
  test: {
    include: ['test/broker/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 240_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
