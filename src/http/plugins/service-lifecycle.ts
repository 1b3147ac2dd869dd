/**
 * The service's lifecycle as a plugin of the app: once the app is ready (before `listen` binds,
 * never awaited, so liveness answers during the load) it starts the companion servers (gRPC) and
 * the model load, records the load in the metrics, and on close drains in order: readiness 503 and
 * companions refusing new calls at once (preClose), then accepted work finishes, the engine is
 * released and the last spans are exported (onClose). The entry point only listens and exits.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../../metrics/metrics.js';
import { progressReporter } from '../../model/progress.js';
import type { InferenceService, LoadReport } from '../../service/inference-service.js';

/** A server beside the HTTP one on the same service (gRPC); structural, so http needs no grpc import. */
export interface Companion {
  /** Starts it; a failure (port in use) fails `app.ready()` and so `listen`. */
  start(log: FastifyInstance['log']): Promise<{ close(): Promise<void> }>;
}

export interface ServiceLifecycleOptions {
  service: InferenceService;
  metrics: Metrics;
  /** Start the model load when the app is ready (default true; readiness tests start it themselves). */
  load?: boolean;
  companions?: readonly Companion[];
  /** MODEL_CONTROL=poll: rescan the repository this often once loaded. */
  pollSeconds?: number;
  /** Flushed last on close (OpenTelemetry's SDK). */
  tracing?: { shutdown(): Promise<void> };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Starts the model load once (later calls return the same promise); resolves when warm. */
    loadModel(): Promise<LoadReport>;
    /** Rescans the model repository (poll, SIGHUP); `retryFailed` retries versions that failed. */
    reloadModels(retryFailed: boolean): Promise<void>;
  }
}

async function serviceLifecycle(app: FastifyInstance, opts: ServiceLifecycleOptions): Promise<void> {
  const { service, metrics } = opts;
  metrics.trackMemory(service.memory);
  let loading: Promise<LoadReport> | undefined;
  const loadModel = (): Promise<LoadReport> => {
    loading ??= service.start({ log: (msg) => app.log.info(msg), onProgress: progressReporter('model download', (msg) => app.log.info(msg)) }).then((report) => {
      metrics.modelsLoaded({ fetch: report.fetchSeconds, convert: report.convertSeconds, load: report.loadSeconds, warmup: report.warmupSeconds });
      app.log.info({ ...report, engine: service.model?.engine }, report.models.length === 1 ? 'model ready' : 'models ready');
      if (opts.pollSeconds !== undefined) startPolling(opts.pollSeconds);
      return report;
    });
    return loading;
  };
  app.decorate('loadModel', loadModel);
  app.decorate('reloadModels', async (retryFailed: boolean) => {
    const outcome = await service.reload(retryFailed);
    if (outcome && (outcome.loaded.length > 0 || outcome.failed.length > 0 || outcome.unloaded.length > 0)) app.log.info(outcome, 'model repository rescanned');
  });

  // MODEL_CONTROL=poll: rescan every MODEL_POLL_SECONDS (Triton's poll mode). A rescan that is
  // still running (a conversion can take a while) is not started again.
  let poll: NodeJS.Timeout | undefined;
  const startPolling = (seconds: number): void => {
    poll = setInterval(() => {
      app.reloadModels(false).catch((err: unknown) => app.log.error({ err: (err as Error).message }, 'model repository rescan failed'));
    }, seconds * 1000);
    poll.unref();
  };

  const running: { close(): Promise<void> }[] = [];
  let companionsClosed: Promise<unknown> | undefined;
  app.addHook('onReady', async () => {
    for (const c of opts.companions ?? []) running.push(await c.start(app.log));
    // Not awaited: the server listens (liveness) while the model loads; whoever needs the outcome
    // (the entry point: exit 1 on failure) awaits app.loadModel().
    if (opts.load !== false) loadModel().catch(() => undefined);
  });
  app.addHook('preClose', async () => {
    clearInterval(poll);
    app.log.info({ inFlight: service.inFlight }, 'shutdown: draining');
    service.beginDrain();
    // Companions stop taking calls now and drain alongside HTTP; awaited in onClose.
    companionsClosed = Promise.all(running.map((r) => r.close()));
  });
  app.addHook('onClose', async () => {
    await companionsClosed;
    await service.stop();
    await opts.tracing?.shutdown(); // exports the last spans (bounded wait)
  });
}

export const serviceLifecyclePlugin = fp(serviceLifecycle, { name: 'service-lifecycle' });
