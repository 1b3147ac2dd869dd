/**
 * The OpenAPI 3 document of every route, from the same schemas Fastify validates and serialises with
 * (docs/openapi.json, written by `npm run openapi`). The app is built but its model is never loaded,
 * so this needs neither the model cache nor a network.
 *
 * The configuration is the defaults, not the environment, and keys are sorted: the output depends
 * on the code alone, so the checked-in file diffs cleanly and a test can insist it is current.
 */
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../config/config.js';
import { Metrics } from '../metrics/metrics.js';
import { InferenceService } from '../service/inference-service.js';
import { buildApp } from './app.js';

export const OPENAPI_FILE = path.join(PROJECT_ROOT, 'docs', 'openapi.json');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The document as the running server would publish it (GET /docs/json), model not loaded. */
export async function buildOpenApiDocument(): Promise<Record<string, Json>> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const metrics = new Metrics({ defaultMetrics: false });
  const service = new InferenceService(config, metrics);
  const app = await buildApp({ config, service, metrics, logger: false });
  try {
    await app.ready();
    // A JSON round trip drops what JSON cannot hold (undefined), as serving it would.
    return JSON.parse(JSON.stringify(app.swagger())) as Record<string, Json>;
  } finally {
    await app.close();
  }
}

const TOP_LEVEL = ['openapi', 'info', 'servers', 'tags', 'security', 'paths', 'components'];

function sortKeys(value: Json, order?: readonly string[]): Json {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v));
  if (value === null || typeof value !== 'object') return value;
  const rank = (k: string): number => (order?.includes(k) ? order.indexOf(k) : (order?.length ?? 0));
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, sortKeys(value[k])]));
}

/** Pretty JSON with a stable key order (conventional at the top, alphabetical below), newline-terminated. */
export function renderOpenApi(doc: Record<string, Json>): string {
  return `${JSON.stringify(sortKeys(doc, TOP_LEVEL), null, 2)}\n`;
}
