import { defineConfig } from 'vitest/config';

// Tests run the real model on a 2-core machine: one file at a time, so a file's timings and
// throughput are not distorted by another file's inference, with timeouts sized for model loads.
// Tests that need a system browser run apart (`npm run test:e2e`, vitest.e2e.config.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
