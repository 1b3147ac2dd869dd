/** GET /metrics: Prometheus text exposition. */
import type { FastifyInstance } from 'fastify';

export default async function metricsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] } }, async (_request, reply) => {
    const registry = app.metrics.registry;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
