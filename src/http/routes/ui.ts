/**
 * GET /: the web page for people (public/index.html, app.js, styles.css). Plain static files, no
 * build step; the page uses only the public API (POST /predict, GET /readyz). Served under a strict
 * Content-Security-Policy that allows nothing but this origin (plus blob: thumbnails). Registered
 * encapsulated, so its headers never reach the API or /docs (which sets its own CSP).
 */
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from '../../config/config.js';

/** The page's folder; the same from src/ (tsx) and dist/ because PROJECT_ROOT is. */
export const PUBLIC_DIR = path.join(PROJECT_ROOT, 'public');

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // Thumbnails are object URLs of the chosen files; they never leave the browser.
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export default async function uiRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('content-security-policy', PAGE_CSP);
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('referrer-policy', 'no-referrer');
  });
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    index: 'index.html',
    // One route per file found at start instead of a `/*` catch-all: unknown paths keep the API's
    // JSON 404, and nothing outside public/ can ever be asked for.
    wildcard: false,
    decorateReply: false,
    schemaHide: true,
    // Unversioned file names: let browsers keep copies but revalidate each time (ETag, 304), so a
    // new release never runs an old app.js against a new index.html.
    cacheControl: false,
    setHeaders: (reply) => {
      void reply.header('cache-control', 'no-cache');
    },
  });
}
