/**
 * GET /docs in a real headless Chromium (`npm run test:e2e`): swagger-ui renders every route of
 * the exported OpenAPI document from the server's own assets, with no request leaving the server.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE } from '../../src/http/openapi-document.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js';

let t: TestApp;
let base: string;
let browser: Browser;

beforeAll(async () => {
  t = await createTestApp({}, { load: false });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('GET /docs in a browser', () => {
  it('renders every route with no request leaving the server', async () => {
    const paths = Object.keys((JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, unknown> }).paths);
    expect(paths).toContain('/v2/models/{name}/infer');
    const context = await browser.newContext();
    const offOrigin: string[] = [];
    const problems: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
      offOrigin.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // swagger-ui sets one inline style (`outline: none` on its operations list); the strict CSP
      // blocks it, harmlessly. Any other console error (a blocked script, a failed fetch) counts.
      if (msg.type() === 'error' && !/^Applying inline style violates .*style-src/.test(msg.text())) problems.push(`console: ${msg.text()}`);
    });
    await page.goto(`${base}/docs`);
    await page.locator('[data-path="/v2/models/{name}/infer"]').first().waitFor({ timeout: 45_000 });
    const shown = await page.locator('.opblock-summary-path').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
    for (const p of paths) expect(shown, p).toContain(p);
    expect(offOrigin).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
