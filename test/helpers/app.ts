/**
 * Builds the real app (src/app.ts createApp) around the real service and model, as `npm start` does,
 * without opening a port (supertest drives `app.server`): `app.ready()` starts the model load
 * through the app's lifecycle plugin. Tests pass config overrides for the case at hand.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { configWith, type Config } from '../../src/config/config.js';
import { createApp } from '../../src/app.js';
import { loggerOptions } from '../../src/http/app.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { InferenceService } from '../../src/service/inference-service.js';

export interface TestApp {
  app: FastifyInstance;
  service: InferenceService;
  metrics: Metrics;
  config: Config;
  /** Everything the app has logged so far (with `captureLogs`; otherwise logging is off). */
  logText(): string;
  close(): Promise<void>;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  // No gRPC endpoint unless asked: the gRPC tests start theirs on an ephemeral port.
  return configWith({ logLevel: 'silent', modelFetch: 'never', grpcPort: null, ...overrides });
}

/**
 * `load: false` returns the app before the model loads (readiness tests start it with
 * `app.loadModel()`);
 * `captureLogs: true` keeps the app's log lines at `config.logLevel` for `logText()`.
 */
export async function createTestApp(overrides: Partial<Config> = {}, opts: { load?: boolean; captureLogs?: boolean } = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const metrics = new Metrics({ defaultMetrics: false });
  const service = new InferenceService(config, metrics);
  let logged = '';
  const stream = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      logged += chunk.toString();
      cb();
    },
  });
  const logger = opts.captureLogs ? { ...(loggerOptions(config.logLevel) as object), stream } : false;
  // Tracing tests start the SDK themselves (and shut it down), so the app never starts its own here.
  const app = await createApp({ config, service, metrics, logger, load: opts.load, tracing: false });
  await app.ready();
  if (opts.load !== false) await app.loadModel();
  return {
    app,
    service,
    metrics,
    config,
    logText: () => logged,
    close: () => app.close(), // its hooks drain and stop the service
  };
}
