/**
 * The web page in a real headless Chromium against the real app and model on an ephemeral port:
 * what a person sees while the model loads, after it is ready, for refused files, and with the
 * keyboard. Runs as `npm run test:e2e` (Debian's /usr/bin/chromium, CHROMIUM_PATH overrides; its
 * absence stops the run with one message); CI installs Chromium and runs it.
 *
 * The page's screenshot lands in test/artifacts/ui.png; with UPDATE_SCREENSHOT=1 it is also copied
 * to docs/screenshot.png (the README's; committed, so normal runs leave it alone).
 */
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../src/http/routes/ui.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js';
import { EDGE, PROJECT, SMOKE } from '../helpers/paths.js';

const ARTIFACT = path.join(PROJECT, 'test', 'artifacts', 'ui.png');
const DOCS_SCREENSHOT = path.join(PROJECT, 'docs', 'screenshot.png');
const WAIT = { timeout: 45_000 };

const BEAGLE = path.join(SMOKE, 'beagle.jpg');
const CAT = path.join(SMOKE, 'cat.jpg');
const NOT_AN_IMAGE = path.join(EDGE, 'not-an-image.jpg');
const LARGE = path.join(EDGE, 'elephant-large.jpg'); // ~2 MB, over the 1 MiB limit set below

let t: TestApp;
let base: string;
let browser: Browser;
let context: BrowserContext;
const pageProblems: string[] = [];

async function openPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/content security policy/i.test(msg.text())) pageProblems.push(`CSP: ${msg.text()}`);
  });
  await page.goto(`${base}/`);
  return page;
}

/** The result card of one file (cards carry the file name as their heading). */
const card = (page: Page, fileName: string, state?: 'done' | 'error'): Locator =>
  page.locator(state ? `.card[data-state="${state}"]` : '.card', { has: page.locator('.file-name', { hasText: fileName }) });

const texts = (l: Locator): Promise<string[]> => l.allTextContents().then((all) => all.map((s) => s.trim()));

beforeAll(async () => {
  // Not loaded yet: the first test sees the page while the model loads, then loads it itself.
  t = await createTestApp({ maxUploadBytes: 1024 * 1024 }, { load: false });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  // Reduced motion: bars are drawn at their final width at once (and the media query is exercised).
  context = await browser.newContext({ viewport: { width: 900, height: 900 }, reducedMotion: 'reduce', colorScheme: 'light' });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await t?.close();
});

describe('web page', () => {
  it('is served with a strict CSP and revalidated caching, outside the OpenAPI document', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('<script type="module" src="app.js"></script>');

    const js = await fetch(`${base}/app.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('content-security-policy')).toBe(PAGE_CSP);

    // /docs keeps swagger-ui's own policy; the API is untouched; no catch-all swallows 404s.
    const docs = await fetch(`${base}/docs/`);
    expect(docs.headers.get('content-security-policy') ?? '').not.toBe(PAGE_CSP);
    expect((await fetch(`${base}/healthz`)).headers.get('content-security-policy')).toBeNull();
    const missing = await fetch(`${base}/no-such-page`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ success: false, error: { code: 'not_found' } });

    const openapi = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/predict');
    expect(Object.keys(openapi.paths).filter((p) => p === '/' || p.endsWith('.js') || p.endsWith('.css') || p.endsWith('.html'))).toEqual([]);
  });

  it('says the model is loading, answers a 503 with a retry message, and classifies once ready', async () => {
    const page = await openPage();
    await page.locator('#server-status[data-state="loading"]').waitFor(WAIT);
    expect(await page.locator('#server-status').textContent()).toMatch(/still loading/i);

    await page.setInputFiles('#file-input', BEAGLE);
    const refused = card(page, 'beagle.jpg', 'error');
    await refused.waitFor(WAIT);
    expect(await refused.locator('.problem-title').textContent()).toMatch(/not ready/i);
    expect(await refused.locator('.problem-detail').textContent()).toContain('model_not_ready');
    expect(await refused.locator('.retry-button').isVisible()).toBe(true);

    await t.service.start(); // the one model load of this file
    await page.locator('#server-status[data-state="ready"]').waitFor(WAIT);
    // Waiting images are retried by themselves once /readyz turns 200.
    const done = card(page, 'beagle.jpg', 'done');
    await done.waitFor(WAIT);
    expect((await done.locator('.prediction').first().getAttribute('data-label'))).toBe('beagle');
    await page.close();
  }, 180_000);

  describe('once ready', () => {
    let page: Page;
    beforeAll(async () => {
      page = await openPage();
      await page.locator('#server-status[data-state="ready"]').waitFor(WAIT);
    });
    afterAll(async () => page?.close());

    it('shows beagle first, as labelled bars with text percentages and timings', async () => {
      await page.setInputFiles('#file-input', BEAGLE);
      const done = card(page, 'beagle.jpg', 'done');
      await done.waitFor(WAIT);
      const labels = await texts(done.locator('.prediction-label'));
      const values = await texts(done.locator('.prediction-value'));
      expect(labels).toHaveLength(5);
      expect(labels[0]).toBe('beagle');
      for (const v of values) expect(v).toMatch(/^(<0\.1|\d{1,3}\.\d)%$/);
      expect(await done.locator('.bar').first().getAttribute('aria-hidden')).toBe('true');
      expect(await done.locator('.timing').textContent()).toMatch(/^Server time \d.* · round trip \d/);
      expect(await done.locator('.thumb').getAttribute('alt')).toBe('Preview of beagle.jpg');
      // Announced to screen readers through the live region.
      expect(await page.locator('#announcer[aria-live="polite"]').textContent()).toMatch(/beagle\.jpg: beagle, \d/);
    });

    it('accepts files dropped on the page', async () => {
      // A real drop event carrying a File, as the browser delivers one from the desktop.
      const base64 = readFileSync(CAT).toString('base64');
      const transfer = await page.evaluateHandle((b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'cat.jpg', { type: 'image/jpeg' }));
        return dt;
      }, base64);
      await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: transfer });
      const done = card(page, 'cat.jpg', 'done');
      await done.waitFor(WAIT);
      expect(await done.locator('.prediction').first().getAttribute('data-label')).toBe('tabby');
    });

    it('explains refused files with the API error code: not an image, too big', async () => {
      await page.setInputFiles('#file-input', [NOT_AN_IMAGE, LARGE]);
      const notImage = card(page, 'not-an-image.jpg', 'error');
      await notImage.waitFor(WAIT);
      expect(await notImage.locator('.problem-title').textContent()).toBe('Not an image the server can read');
      expect(await notImage.locator('.problem-detail').textContent()).toContain('(unsupported_image)');
      expect(await notImage.locator('.retry-button').isVisible()).toBe(false);

      const large = card(page, 'elephant-large.jpg', 'error');
      await large.waitFor(WAIT);
      expect(await large.locator('.problem-title').textContent()).toBe('Too big');
      expect(await large.locator('.problem-detail').textContent()).toMatch(/^This file is 1\.9 MB\. .*\(upload_too_large\)$/);

      expect(await texts(page.locator('#announcer p'))).toEqual(
        expect.arrayContaining(['not-an-image.jpg: Not an image the server can read.', 'elephant-large.jpg: Too big.']),
      );

      mkdirSync(path.dirname(ARTIFACT), { recursive: true });
      await page.screenshot({ path: ARTIFACT, fullPage: true });
      if (process.env.UPDATE_SCREENSHOT === '1') {
        mkdirSync(path.dirname(DOCS_SCREENSHOT), { recursive: true });
        copyFileSync(ARTIFACT, DOCS_SCREENSHOT);
        expect(statSync(DOCS_SCREENSHOT).size).toBeLessThan(300 * 1024);
      }
    });

    it('clears the results and hands focus back to the picker', async () => {
      await page.click('#clear-button');
      expect(await page.locator('.card').count()).toBe(0);
      expect(await page.locator('#empty-note').isVisible()).toBe(true);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('file-input');
    });
  });

  it('is keyboard operable: Tab reaches the named file picker, with a visible focus ring', async () => {
    const page = await openPage();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('file-input');

    // The name as Chromium's accessibility tree computes it, i.e. what a screen reader announces.
    const cdp = await page.context().newCDPSession(page);
    const { result } = await cdp.send('Runtime.evaluate', { expression: 'document.activeElement' });
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { objectId: result.objectId, fetchRelatives: false });
    expect(nodes[0]?.name?.value).toBe('Choose images');
    expect(nodes[0]?.ignored).toBe(false);

    const outline = await page.locator('#dropzone').evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).toBe('solid');
    await page.close();
  });

  it('raised no page errors and no CSP violations', () => {
    expect(pageProblems).toEqual([]);
  });
});
