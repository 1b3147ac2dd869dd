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
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false }, staticCSP: true, transformStaticCSP: offlineDocsCsp });
}

/**
 * swagger-ui's own CSP minus what breaks or is not needed offline: `upgrade-insecure-requests` makes
 * browsers fetch every asset over https:// from any plain-HTTP host but localhost (a pod IP, an
 * Ingress without TLS), leaving a blank page (fastify/fastify-swagger#690); `https:` sources and the
 * online validator's host are never used, as every asset is served from here.
 */
export function offlineDocsCsp(header: string): string {
  return header
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d !== '' && d !== 'upgrade-insecure-requests')
    .map((d) => d.split(/\s+/).filter((src) => src !== 'https:' && src !== 'validator.swagger.io').join(' '))
    .join('; ');
}

export const docsPlugin = fp(docs, { name: 'docs' });
