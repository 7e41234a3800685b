import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // CLI tests spawn the built command; two workers suit the 2-core CI machine.
    maxWorkers: 2,
  },
});
