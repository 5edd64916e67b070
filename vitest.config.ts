import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The learner tests are CPU-bound; two cores, two workers.
    maxWorkers: 2,
  },
});
