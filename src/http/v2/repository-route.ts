/**
 * Triton's model repository extension, index only: `POST /v2/repository/index` lists every model
 * version the repository holds or the server has loaded, with its state (READY, LOADING,
 * UNLOADING, UNAVAILABLE) and why it is not ready. `{"ready": true}` keeps the ready ones.
 * Loading and unloading stay the repository's business (MODEL_CONTROL=poll, SIGHUP), not the API's.
 */
import type { FastifyInstance } from 'fastify';
import { ok } from './schemas.js';

export async function repositoryRoutes(app: FastifyInstance): Promise<void> {
  const { service } = app;
  app.post<{ Body: unknown }>(
    '/v2/repository/index',
    {
      config: { errorFormat: 'v2' },
      schema: {
        summary: 'Model repository index: every model version and its state',
        tags: ['v2'],
        // No body schema: Triton's clients send no body, `{}` or `{"ready": true}`.
        description: 'Optional JSON body `{"ready": true}`: only the versions that can serve now.',
        response: { 200: ok('Model versions and their states', 'V2RepositoryIndex') },
      },
    },
    async (request) => {
      const entries = service.index();
      const readyOnly = typeof request.body === 'object' && request.body !== null && (request.body as { ready?: unknown }).ready === true;
      return readyOnly ? entries.filter((e) => e.state === 'READY') : entries;
    },
  );
}
