/**
 * Which methods a path takes, for 405 answers: a known path asked with another method gets 405 and
 * an `Allow` header, not a 404 that would say the path does not exist. Fastify's router answers
 * only "this method and path", so the routes are mirrored, as they are registered, into a second
 * find-my-way router (the library Fastify routes with, same defaults) that can be asked per method.
 * Catch-all routes (`/v2/*`, which turns unknown v2 paths into the protocol's 404) are left out:
 * they do not make a path known.
 */
import type { FastifyInstance, HTTPMethods, RouteOptions } from 'fastify';
import FindMyWay from 'find-my-way';

export class AllowedMethods {
  private readonly router = FindMyWay({ ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, caseSensitive: true, maxParamLength: 100 });
  private readonly methods = new Set<string>();
  private readonly seen = new Set<string>();

  /** Mirrors every route registered on `app` from now on. */
  watch(app: FastifyInstance): void {
    app.addHook('onRoute', (route: RouteOptions) => this.add(route.method, route.url));
  }

  add(method: HTTPMethods | HTTPMethods[], url: string | undefined): void {
    if (url === undefined || url.endsWith('*')) return;
    for (const m of Array.isArray(method) ? method : [method]) {
      const key = `${m} ${url}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.methods.add(m);
      this.router.on(m as FindMyWay.HTTPMethod, url, noop);
    }
  }

  /** The methods `url` (path and query as received) answers to, sorted; empty for an unknown path. */
  for(url: string): string[] {
    const allowed: string[] = [];
    for (const m of this.methods) if (this.router.find(m as FindMyWay.HTTPMethod, url) !== null) allowed.push(m);
    return allowed.sort();
  }
}

const noop = (): void => undefined;
