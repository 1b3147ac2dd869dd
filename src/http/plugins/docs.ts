/**
 * OpenAPI 3 document built from the routes' own schemas (@fastify/swagger) and served rendered at
 * /docs (@fastify/swagger-ui serves its bundled assets: no CDN, works offline). Registered before
 * the routes so it sees every one of them.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface DocsOptions {
  version: string;
}

async function docs(app: FastifyInstance, opts: DocsOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'resnet-serve',
        description: 'ImageNet image classification (Keras ResNet50) over HTTP: the Flask tutorial API, the Open Inference Protocol (KServe v2), health and metrics.',
        version: opts.version,
      },
      tags: [
        { name: 'classification', description: 'Tutorial-compatible API' },
        { name: 'v2', description: 'Open Inference Protocol (KServe v2) REST' },
        { name: 'health', description: 'Kubernetes probes' },
        { name: 'operations', description: 'Metrics and documentation' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Only when API_KEYS is set' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false }, staticCSP: true });
}

export const docsPlugin = fp(docs, { name: 'docs' });
