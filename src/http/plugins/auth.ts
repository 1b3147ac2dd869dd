/**
 * Optional bearer-key access control (API_KEYS). Applies to routes whose config says `auth: true`
 * (inference); health, readiness and metrics stay open for probes and scrapers. Keys are compared
 * in constant time (over their SHA-256 digests, so length leaks nothing) and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: boolean;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

async function auth(app: FastifyInstance, opts: { keys: string[] }): Promise<void> {
  if (opts.keys.length === 0) return;
  const digests = opts.keys.map(digest);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.auth !== true) return;
    const header = request.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = m ? digest(m[1]) : undefined;
    // Check every key, always: the time taken does not depend on which key matched.
    let ok = false;
    for (const d of digests) ok = (given !== undefined && timingSafeEqual(d, given)) || ok;
    if (!ok) {
      void reply.header('www-authenticate', 'Bearer');
      throw new AppError('unauthorized', header ? 'invalid_api_key' : 'missing_api_key', header ? 'the API key is not valid' : 'this route needs Authorization: Bearer <key>');
    }
  });
}

export const authPlugin = fp(auth, { name: 'auth' });
