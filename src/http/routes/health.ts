/**
 * Kubernetes probes. /healthz (liveness): the process is up and its event loop answers; it stays
 * 200 while the model loads and under overload, so the kubelet never kills a busy pod. /readyz
 * (readiness, and the startup probe): 200 only once the model is loaded and warmed up; 503 before,
 * and from the moment shutdown begins, so the pod leaves the Service's endpoints first.
 */
import type { FastifyInstance } from 'fastify';

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  const schema = (summary: string) => ({ summary, tags: ['health'], response: { 200: { $ref: 'Health#' }, 503: { $ref: 'Health#' } } });
  app.get('/healthz', { schema: schema('Liveness: 200 while the process is alive') }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: schema('Readiness: 200 once the model is loaded and warmed up') }, async (_request, reply) => {
    const s = app.service;
    const model = s.model;
    const body = { status: s.ready ? 'ready' : s.state === 'idle' ? 'loading' : s.state, model: model?.descriptor.name, engine: model?.engine.backend };
    return reply.code(s.ready ? 200 : 503).send(body);
  });
}
