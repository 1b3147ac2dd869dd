/**
 * The server process: builds the whole app (src/app.ts), listens first (liveness answers during the
 * model load, which the app starts), and turns outcomes into exit codes: a start-up failure or a
 * model that fails to load ends the process with one clear log line and exit 1 (a pod must never
 * sit unready forever); SIGTERM/SIGINT close the app gracefully (its hooks drain) and exit 0.
 */
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import { createApp } from './app.js';
import type { Config } from './config/config.js';
import { StartupError } from './errors.js';

/** Process wiring for `npm start` and `resnet-serve serve`. */
export async function runServer(config: Config): Promise<void> {
  let app: FastifyInstance;
  try {
    app = await createApp({ config, onEngineDeath: () => process.exit(1) });
    // Ready first, so a companion's failure (gRPC port in use) is reported as itself.
    await app.ready();
    await listen(app, config);
  } catch (err) {
    failStartup(err);
  }
  app.loadModel().then(
    () => lowerEventLoopPriority(config.eventLoopNice, app.log),
    async (err: unknown) => {
      app.log.fatal({ err: message(err) }, 'model failed to load');
      await app.close().catch(() => undefined);
      process.exit(1);
    },
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    const timer = setTimeout(() => {
      app.log.error({ graceMs: config.shutdownGraceMs, inFlight: app.service.inFlight }, 'shutdown: grace period over, exiting with work unfinished');
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    app.log.info({ reason: signal }, 'shutdown requested');
    app.close().then(
      () => {
        app.log.info('shutdown: done');
        process.exit(0);
      },
      (err: unknown) => {
        app.log.error({ err: message(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP rescans the model repository in any MODEL_CONTROL mode (and retries failed versions).
  process.on('SIGHUP', () => {
    app.log.info({ signal: 'SIGHUP' }, 'model repository rescan requested');
    app.reloadModels(true).catch((err: unknown) => app.log.error({ err: message(err) }, 'model repository rescan failed'));
  });
}

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs privileges' : `failed (${(err as Error).message})`;
    throw new StartupError(`cannot listen on ${config.host}:${config.port}: the port ${what}`, { cause: err });
  }
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
