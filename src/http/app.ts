/**
 * The whole HTTP app as one factory (Fastify's app template): shared things are plugins, each group
 * of routes is a plugin that only translates HTTP <-> service calls. Tests build the same app and
 * call it without opening a port.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { VERSION, type Config } from '../config/config.js';
import type { Metrics } from '../metrics/metrics.js';
import { notReady } from '../errors.js';
import type { InferenceService } from '../service/inference-service.js';
import { tracingEnabled } from '../telemetry/env.js';
import { AccessLog, serializeRequest } from './access-log.js';
import { AllowedMethods } from './allowed-methods.js';
import { clientErrorHandler, closeConnectionsGently, serverTimeouts } from './client-errors.js';
import { frameworkError, registerErrorHandlers } from './error-mapping.js';
import { authPlugin } from './plugins/auth.js';
import { deadlinePlugin } from './plugins/deadline.js';
import { docsPlugin } from './plugins/docs.js';
import { requestMetricsPlugin } from './plugins/request-metrics.js';
import { uploadsPlugin } from './plugins/uploads.js';
import healthRoutes from './routes/health.js';
import metricsRoutes from './routes/metrics.js';
import predictRoutes from './routes/predict.js';
import uiRoutes from './routes/ui.js';
import v2Routes from './v2/routes.js';
import { sharedSchemas } from './schemas.js';
import { strictTopk } from './topk-param.js';

declare module 'fastify' {
  interface FastifyInstance {
    service: InferenceService;
    metrics: Metrics;
    config: Config;
  }
}

export interface AppDeps {
  config: Config;
  service: InferenceService;
  metrics: Metrics;
  /** pino options, `false` to silence (tests). */
  logger?: FastifyServerOptions['logger'];
}

const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    // Credentials never reach the logs (query values included); bodies (image bytes) are never logged at all.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    serializers: { req: serializeRequest },
  };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const accessLog = new AccessLog();
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.logLevel),
    logController: accessLog,
    // A caller's X-Request-Id is kept when sane, so one id follows a request across services.
    requestIdHeader: false, // genReqId reads it, so a malformed id is replaced, not trusted
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: config.maxUploadBytes,
    // Slow or stalled uploads cannot hold a connection past the deadline, whatever the phase:
    // headers and body alike get 408 at REQUEST_TIMEOUT_MS (src/http/client-errors.ts). The
    // idle-socket timeout comes a little later, so a request waiting on the engine gets its 504,
    // not a reset.
    http: serverTimeouts(config.requestTimeoutMs),
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs + 5_000,
    keepAliveTimeout: 5_000,
    // Requests that arrive while closing get 503 shutting_down in the API's shape (hook below),
    // not Fastify's own body.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Everything the HTTP layer refuses answers in the API's error shape (README "Errors").
    clientErrorHandler: clientErrorHandler(config.requestTimeoutMs),
    frameworkErrors: frameworkError,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  });
  closeConnectionsGently(app.server);
  const allowed = new AllowedMethods();
  allowed.watch(app);
  app.decorate('config', config);
  app.decorate('service', deps.service);
  app.decorate('metrics', deps.metrics);
  app.decorateRequest('failure', null);
  app.addHook('onClose', async () => accessLog.refusals.stop());
  for (const s of sharedSchemas) app.addSchema(s);
  registerErrorHandlers(app, allowed);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // OpenTelemetry (src/telemetry), first so that every later hook runs in the request's span; only
  // when the SDK was started from the OTEL_* variables, otherwise not even imported.
  if (tracingEnabled()) await app.register((await import('../telemetry/fastify.js')).httpTracingPlugin);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) throw notReady('shutting_down', 'the server is shutting down', 1);
  });
  // topk's one rule, before the upload is read; its maximum is the loaded model's class count.
  app.addHook('onRequest', strictTopk((model) => deps.service.classesOf(model)));

  await app.register(requestMetricsPlugin, { metrics: deps.metrics });
  await app.register(deadlinePlugin, { timeoutMs: config.requestTimeoutMs });
  await app.register(authPlugin, { keys: config.apiKeys });
  await app.register(uploadsPlugin, { maxUploadBytes: config.maxUploadBytes });

  await app.register(docsPlugin, { version: VERSION });
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(predictRoutes);
  await app.register(v2Routes, { version: VERSION });
  await app.register(uiRoutes);
  return app;
}
