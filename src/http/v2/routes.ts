/**
 * Open Inference Protocol (KServe v2) REST endpoints: server and model health, metadata, and
 * inference (src/http/v2/infer-route.ts), with and without `/versions/{version}`. Errors use the
 * protocol's `{"error": "..."}` body (route config `errorFormat: 'v2'`, rendered by the central
 * error handler): 400 for bad requests, 404 for unknown models/versions, 413 for oversized bodies
 * or images, 503 until ready.
 *
 * Registered without encapsulation so that its schemas join the app's shared ones (and the OpenAPI
 * components).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import { inferRoutes } from './infer-route.js';
import { modelReady, resolveModel, type ModelRef } from './resolve.js';
import { repositoryRoutes } from './repository-route.js';
import { modelParams, ok, v2ErrorResponse, v2Schemas } from './schemas.js';
import { EXTENSIONS, modelMetadata } from './signature.js';
import type { ModelMetadata, ServerMetadata } from './types.js';

export interface V2Options {
  /** Server version reported by GET /v2. */
  version: string;
  /** Server name reported by GET /v2. */
  name?: string;
}

export { MAX_ROWS_PER_REQUEST, v2BodyLimit } from './codec.js';

const v2 = { errorFormat: 'v2' } as const;

async function v2Routes(app: FastifyInstance, opts: V2Options): Promise<void> {
  for (const s of v2Schemas) app.addSchema(s);
  const { service } = app;
  const resolve = (ref: ModelRef) => resolveModel(service, ref);

  const serverMetadata: ServerMetadata = { name: opts.name ?? 'resnet-serve', version: opts.version, extensions: [...EXTENSIONS] };
  const serverMetadataResponse = { 200: ok('Server name, version and protocol extensions', 'V2ServerMetadata') };
  app.get('/v2', { config: v2, schema: { summary: 'Server metadata', tags: ['v2'], response: serverMetadataResponse } }, async () => serverMetadata);
  // The spec's own OpenAPI file spells it `/v2/`: answer both, document one.
  app.get('/v2/', { config: v2, schema: { hide: true, response: serverMetadataResponse } }, async () => serverMetadata);

  app.get(
    '/v2/health/live',
    { config: v2, schema: { summary: 'Server live: 200 while the process answers', tags: ['v2'], response: { 200: ok('Live', 'V2ServerLive') } } },
    async () => ({ live: true }),
  );
  app.get(
    '/v2/health/ready',
    {
      config: v2,
      schema: {
        summary: 'Server ready: 200 once the model is loaded and warm, 503 before and while shutting down',
        tags: ['v2'],
        response: { 200: ok('Ready', 'V2ServerReady'), 503: ok('Not ready', 'V2ServerReady') },
      },
    },
    async (_request, reply) => reply.code(service.ready ? 200 : 503).send({ ready: service.ready }),
  );

  for (const base of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    const versioned = base.includes(':version');
    const params = versioned ? { ...modelParams, required: ['name', 'version'] } : { ...modelParams, properties: { name: modelParams.properties.name } };
    const unknown = versioned ? 'Unknown model or version' : 'Unknown model';

    app.get<{ Params: ModelRef }>(
      base,
      {
        config: v2,
        schema: {
          summary: versioned ? 'Model metadata (a given version)' : 'Model metadata: inputs, outputs, datatypes and shapes',
          tags: ['v2'],
          params,
          response: { 200: ok('Model metadata', 'V2ModelMetadata'), 404: v2ErrorResponse(unknown), 503: v2ErrorResponse('The model is not loaded yet') },
        },
      },
      async (request): Promise<ModelMetadata> => {
        const { signature, engine } = resolve(request.params);
        return modelMetadata(signature, engine);
      },
    );

    app.get<{ Params: ModelRef }>(
      `${base}/ready`,
      {
        config: v2,
        schema: {
          summary: versioned ? 'Model ready (a given version)' : 'Model ready: 200 when it can serve inference, 503 before',
          tags: ['v2'],
          params,
          response: { 200: ok('Ready', 'V2ModelReady'), 404: v2ErrorResponse(unknown), 503: ok('Not ready', 'V2ModelReady') },
        },
      },
      async (request, reply) => {
        const ready = modelReady(service, request.params);
        return reply.code(ready ? 200 : 503).send({ name: request.params.name, ready });
      },
    );
  }

  await app.register(repositoryRoutes);

  // Encapsulated: the infer routes have their own body parser (JSON, bounded; binary tensors).
  await app.register(inferRoutes, { params: modelParams });

  // Anything else under /v2 is a 404 in the protocol's error shape too.
  app.all('/v2/*', { config: v2, schema: { hide: true } }, async (request) => {
    throw new AppError('not_found', 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
}

export const v2RoutesPlugin = fp(v2Routes, { name: 'v2-routes', dependencies: ['deadline', 'uploads'] });
export default v2RoutesPlugin;
