/** The system Chromium the browser tests drive (Debian's; CHROMIUM_PATH overrides). Tests only. */
import { existsSync } from 'node:fs';
import { stopRun } from './stop-run.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps dialling out on a closed network.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Global setup of `npm run test:e2e`: one clear message instead of a failure per test. */
export default function requireBrowser(): void {
  if (!existsSync(CHROMIUM)) {
    stopRun(`npm run test:e2e needs Chromium, not found at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
}
