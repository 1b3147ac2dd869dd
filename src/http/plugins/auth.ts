/**
 * Optional bearer-key access control (API_KEYS). Applies to routes whose config says `auth: true`
 * (inference); health, readiness and metrics stay open for probes and scrapers. Keys are compared
 * in constant time (over their SHA-256 digests, so length leaks nothing) and never logged.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { bearerKeyCheck } from '../bearer-keys.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: boolean;
  }
}

async function auth(app: FastifyInstance, opts: { keys: string[] }): Promise<void> {
  if (opts.keys.length === 0) return;
  const check = bearerKeyCheck(opts.keys, 'this route needs Authorization: Bearer <key>');
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.auth !== true) return;
    try {
      check(request.headers.authorization ?? '');
    } catch (err) {
      void reply.header('www-authenticate', 'Bearer');
      throw err;
    }
  });
}

export const authPlugin = fp(auth, { name: 'auth' });
