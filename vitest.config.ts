import { defineConfig } from 'vitest/config';

// Unit and integration tests of the harness itself. The conformance suites under suites/ run through
// `edgecert run`, which has its own vitest configuration (harness/cli/suite-config.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
