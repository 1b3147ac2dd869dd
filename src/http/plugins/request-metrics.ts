/** Counts and times every response by route template (not raw URL, which would explode cardinality). */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../../metrics/metrics.js';

async function requestMetrics(app: FastifyInstance, opts: { metrics: Metrics }): Promise<void> {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    opts.metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    opts.metrics.requestSeconds.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
}

export const requestMetricsPlugin = fp(requestMetrics, { name: 'request-metrics' });
