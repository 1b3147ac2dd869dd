/**
 * Runs the service: listen first (liveness answers during the model load), load the model in the
 * background (readiness turns 200 when it is warm), and shut down gracefully on SIGTERM/SIGINT.
 * Any start-up failure ends the process with one clear log line and a non-zero exit code: a pod
 * must never sit unready forever.
 */
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import { describeConfig, VERSION, type Config } from './config/config.js';
import { StartupError } from './errors.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc/server.js';
import { buildApp } from './http/app.js';
import { Metrics } from './metrics/metrics.js';
import { progressReporter } from './model/progress.js';
import { InferenceService } from './service/inference-service.js';

export interface RunningServer {
  app: FastifyInstance;
  service: InferenceService;
  /** The gRPC endpoint; undefined with GRPC_PORT=off. */
  grpc: RunningGrpcServer | undefined;
  /** Resolves when the model is loaded and warm, rejects if loading failed. */
  ready: Promise<void>;
  /** Graceful stop: readiness 503, finish accepted work, close connections, release the engine. */
  shutdown(reason: string): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const metrics = new Metrics();
  let app: FastifyInstance | undefined;
  const service = new InferenceService(config, metrics, (err) => {
    app?.log.fatal({ err: err.message }, 'inference engine died');
    process.exit(1);
  });
  app = await buildApp({ config, service, metrics });
  const log = app.log;
  log.info({ config: describeConfig(config) }, 'starting');
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs privileges' : `failed (${(err as Error).message})`;
    throw new StartupError(`cannot listen on ${config.host}:${config.port}: the port ${what}`, { cause: err });
  }
  let grpc: RunningGrpcServer | undefined;
  if (config.grpcPort !== null) {
    grpc = await startGrpcServer({ config, service, log, version: VERSION }).catch(async (err: unknown) => {
      await app?.close();
      throw err;
    });
    log.info({ port: grpc.port }, 'gRPC listening');
  }

  const ready = service
    .start({ log: (msg) => log.info(msg), onProgress: progressReporter('model download', (msg) => log.info(msg)) })
    .then((report) => {
      const m = service.model;
      if (m) {
        metrics.modelLoaded(
          { model: m.descriptor.name, version: m.descriptor.version, engine: m.engine.engine, backend: m.engine.backend, precision: m.engine.precision },
          { fetch: report.fetchSeconds, convert: report.convertSeconds, load: report.loadSeconds, warmup: report.warmupSeconds },
        );
      }
      log.info({ ...report, engine: m?.engine }, 'model ready');
    });

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason, inFlight: service.inFlight }, 'shutdown: draining');
      service.beginDrain();
      await Promise.all([app.close(), grpc?.close(config.shutdownGraceMs)]);
      await service.stop();
      log.info('shutdown: done');
    })();
    return stopping;
  };
  return { app, service, grpc, ready, shutdown };
}

/** Process wiring for `npm start` and `resnet-serve serve`. */
export async function runServer(config: Config): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServer(config);
  } catch (err) {
    failStartup(err);
  }
  server.ready.then(
    () => lowerEventLoopPriority(config.eventLoopNice, server.app.log),
    async (err: unknown) => {
      server.app.log.fatal({ err: message(err) }, 'model failed to load');
      await server.app.close().catch(() => undefined);
      process.exit(1);
    },
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      server.app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    const timer = setTimeout(() => {
      server.app.log.error({ graceMs: config.shutdownGraceMs, inFlight: server.service.inFlight }, 'shutdown: grace period over, exiting with work unfinished');
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    server.shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err: message(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * EVENT_LOOP_NICE (opt-in): lowers the event-loop thread's CPU priority, leaving the engine, decode
 * and libvips threads (all started by now) at theirs. Linux shares cores fairly between runnable
 * threads, so clients that resend the moment they are refused keep the event loop always runnable
 * and win it a full share of the cores, taken from inference; niced, it runs only when inference
 * leaves a core free. The price: refusals and probes wait for that, up to seconds when inference
 * keeps both cores busy, so it is off by default. On Linux, setpriority(0) affects only the
 * calling thread; elsewhere it would nice the whole process, so it is skipped.
 */
function lowerEventLoopPriority(nice: number, log: FastifyInstance['log']): void {
  if (nice === 0) return;
  if (process.platform !== 'linux') {
    log.info({ nice }, 'EVENT_LOOP_NICE applies on Linux only; priority left as is');
    return;
  }
  try {
    os.setPriority(0, Math.max(nice, os.getPriority(0)));
    log.info({ nice: os.getPriority(0) }, 'event-loop thread priority lowered: inference threads get the cores first');
  } catch (err) {
    log.warn({ err: message(err), nice }, 'cannot lower the event-loop thread priority');
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** One line on stderr as JSON (the log format), then exit 1. */
export function failStartup(err: unknown): never {
  const line = { level: 60, time: Date.now(), msg: 'start-up failed', err: message(err) };
  process.stderr.write(`${JSON.stringify(line)}\n`);
  process.exit(1);
}
