import { defineConfig } from 'vitest/config'

// Two cores: run test files on two forks. Tests that start real workers or external programs
// keep their own timeouts generous; nothing here retries a failing test.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    retry: 0,
  },
})
