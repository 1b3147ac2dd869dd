import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: the web page in the system Chromium. The browser check comes first, so a
// machine without Chromium gets one message, not a failure per test.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/helpers/browser.ts', 'test/helpers/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
