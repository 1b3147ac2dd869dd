/** GET /metrics: Prometheus text exposition. */
import type { FastifyInstance } from 'fastify';

export default async function metricsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'], response: { 200: { description: 'Prometheus text exposition format', type: 'string' } } } }, async (_request, reply) => {
    const registry = app.metrics.registry;
    // Engine-side figures live in the worker thread: ask for them at scrape time.
    const { tensors } = await app.service.engineStats().catch(() => ({ tensors: undefined }));
    if (tensors !== undefined) app.metrics.engineTensors.set(tensors);
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
