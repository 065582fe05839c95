import { defineConfig } from 'vitest/config'

// The system tier: tests that need tools from outside npm (kcat, librdkafka's development files
// and static archives, a C compiler, binutils, python3 and make for node-gyp, the system's
// libsasl2). README's Development section gives the command that installs them. A missing tool
// fails its test: this tier is chosen by running it.
export default defineConfig({
  test: {
    include: ['test/system/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
})
