/**
 * The whole app (fastify-cli's app template): the HTTP app, and the service's lifecycle as a plugin
 * of it: the model load, its metrics, the gRPC endpoint and the shutdown hooks. `npm start` and the
 * tests build it the same way; the entry point (src/serve.ts) adds only `listen`, signals and exit
 * codes.
 */
import type { FastifyInstance } from 'fastify';
import { describeConfig, VERSION, type Config } from './config/config.js';
import { startGrpcServer } from './grpc/server.js';
import { buildApp, type AppDeps } from './http/app.js';
import { serviceLifecyclePlugin, type Companion } from './http/plugins/service-lifecycle.js';
import { Metrics } from './metrics/metrics.js';
import { InferenceService } from './service/inference-service.js';
import { tracingRequested } from './telemetry/env.js';

export interface CreateAppOptions {
  config: Config;
  /** Defaults: a new Metrics registry (with process metrics) and the service around the configured model. */
  metrics?: Metrics;
  service?: InferenceService;
  /** Called after the engine died and was logged (the entry point exits 1). */
  onEngineDeath?: (err: Error) => void;
  /** Start the model load when the app is ready (default true). */
  load?: boolean;
  logger?: AppDeps['logger'];
  /** Start OpenTelemetry when the OTEL_* variables ask for it (default true; tests start their own SDK). */
  tracing?: boolean;
}

export async function createApp(opts: CreateAppOptions): Promise<FastifyInstance> {
  const { config } = opts;
  // OpenTelemetry from the standard OTEL_* variables, before the app is built (src/telemetry).
  const tracing = opts.tracing !== false && tracingRequested() ? (await import('./telemetry/sdk.js')).startTracing({ serviceName: 'resnet-serve', serviceVersion: VERSION }) : undefined;
  const metrics = opts.metrics ?? new Metrics();
  let app: FastifyInstance | undefined;
  const service =
    opts.service ??
    new InferenceService(
      config,
      metrics,
      (err) => {
        app?.log.fatal({ err: err.message }, 'inference engine died');
        opts.onEngineDeath?.(err);
      },
      { log: { info: (obj, msg) => app?.log.info(obj, msg), error: (obj, msg) => app?.log.error(obj, msg) } },
    );
  app = await buildApp({ config, service, metrics, logger: opts.logger });
  app.log.info({ config: describeConfig(config) }, 'starting');
  if (tracing) app.log.info({ tracing: tracing.description }, 'tracing on (OpenTelemetry)');
  const companions: Companion[] = [];
  if (config.grpcPort !== null) {
    companions.push({
      start: async (log) => {
        const grpc = await startGrpcServer({ config, service, log, version: VERSION });
        log.info({ port: grpc.port }, 'gRPC listening');
        return { close: () => grpc.close(config.shutdownGraceMs) };
      },
    });
  }
  await app.register(serviceLifecyclePlugin, { service, metrics, load: opts.load, companions, tracing, pollSeconds: config.modelControl === 'poll' ? config.modelPollSeconds : undefined });
  return app;
}
