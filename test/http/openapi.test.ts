/**
 * The OpenAPI document: structurally valid OpenAPI 3 with every route, its response schemas and
 * resolvable components; the checked-in docs/openapi.json is exactly a fresh `npm run openapi`
 * (so it cannot go stale); and GET /docs renders it offline, in a real headless Chromium with every
 * request to another origin blocked. No model is loaded here.
 */
import { existsSync, readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument, OPENAPI_FILE, renderOpenApi } from '../../src/http/openapi-document.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface MediaType {
  schema?: JsonObject;
}
interface Response {
  description?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  responses?: Record<string, Response>;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content?: Record<string, MediaType> };
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonObject> };
}


/** Every documented route: the tutorial API, probes, metrics and the whole v2 protocol. */
const ROUTES: [string, string][] = [
  ['/predict', 'post'],
  ['/healthz', 'get'],
  ['/readyz', 'get'],
  ['/metrics', 'get'],
  ['/v2', 'get'],
  ['/v2/health/live', 'get'],
  ['/v2/health/ready', 'get'],
  ['/v2/models/{name}', 'get'],
  ['/v2/models/{name}/ready', 'get'],
  ['/v2/models/{name}/infer', 'post'],
  ['/v2/models/{name}/versions/{version}', 'get'],
  ['/v2/models/{name}/versions/{version}/ready', 'get'],
  ['/v2/models/{name}/versions/{version}/infer', 'post'],
];
const INFER_PATHS = ['/v2/models/{name}/infer', '/v2/models/{name}/versions/{version}/infer'];

let rendered: string;
let doc: OpenApiDoc;

function refsIn(value: Json, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

const operations = (): [string, string, Operation][] =>
  Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).map(([method, op]): [string, string, Operation] => [p, method, op]));

beforeAll(async () => {
  const fresh = await buildOpenApiDocument();
  rendered = renderOpenApi(fresh);
  doc = JSON.parse(rendered) as OpenApiDoc;
});

describe('OpenAPI document (npm run openapi)', () => {
  it('is OpenAPI 3.0 with info', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.title).toBe('resnet-serve');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('has every route with its method, and none of the hidden ones', () => {
    for (const [p, method] of ROUTES) expect(doc.paths[p]?.[method], `${method.toUpperCase()} ${p}`).toBeDefined();
    for (const p of Object.keys(doc.paths)) expect(p).not.toMatch(/^\/docs|^\/v2\/$|\*/);
  });

  it('every operation documents its responses, with a schema for success', () => {
    for (const [p, method, op] of operations()) {
      const responses = Object.entries(op.responses ?? {});
      expect(responses.length, `${method} ${p}`).toBeGreaterThan(0);
      for (const [status, r] of responses) {
        expect(status).toMatch(/^[1-5](\d\d|XX)$/);
        expect(typeof r.description, `${method} ${p} ${status}`).toBe('string');
      }
      const success = responses.filter(([s]) => s.startsWith('2'));
      expect(success.length, `${method} ${p} has a 2xx`).toBeGreaterThan(0);
      for (const [, r] of success) {
        const media = Object.values(r.content ?? {});
        expect(media.length, `${method} ${p} 2xx content`).toBeGreaterThan(0);
        for (const m of media) expect(m.schema, `${method} ${p} 2xx schema`).toBeDefined();
      }
    }
    expect(Object.keys(doc.paths['/metrics'].get.responses?.['200'].content ?? {})).toEqual(['text/plain']);
  });

  it('path templates and path parameters agree', () => {
    for (const [p, method, op] of operations()) {
      const templated = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? []).filter((x) => x.in === 'path');
      expect(declared.map((x) => x.name).sort(), `${method} ${p}`).toEqual(templated);
      for (const x of declared) expect(x.required).toBe(true);
    }
  });

  it('component schemas are named after their $id and every $ref resolves', () => {
    const names = Object.keys(doc.components.schemas);
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(name).not.toMatch(/^def-\d+$/);
    }
    expect(names).toEqual(expect.arrayContaining(['V2InferenceRequest', 'V2InferenceResponse', 'V2ModelMetadata', 'V2Error', 'PredictResponse', 'Health']));
    const refs = refsIn(doc as unknown as Json);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
      expect(m, ref).not.toBeNull();
      expect(doc.components.schemas[m![1]], ref).toBeDefined();
    }
  });

  it('v2 inference documents its JSON request and its error responses', () => {
    for (const p of INFER_PATHS) {
      const op = doc.paths[p].post;
      expect(op.requestBody?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/V2InferenceRequest' });
      expect(op.responses?.['200'].content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/V2InferenceResponse' });
      for (const status of ['400', '404', '413', '503']) {
        expect(op.responses?.[status]?.content?.['application/json']?.schema, `${p} ${status}`).toEqual({ $ref: '#/components/schemas/V2Error' });
      }
    }
  });

  it('the checked-in docs/openapi.json is exactly a fresh export (run `npm run openapi` after changing routes)', () => {
    expect(existsSync(OPENAPI_FILE), 'docs/openapi.json exists').toBe(true);
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(rendered);
  });
});

describe('GET /docs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({}, { load: false });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('serves the same document as the export at /docs/json', async () => {
    const served = (await request(t.app.server).get('/docs/json').expect(200)).body as OpenApiDoc & JsonObject;
    // Only the version differs (the test app is not told the package version).
    expect(renderOpenApi({ ...served, info: doc.info } as unknown as JsonObject)).toBe(rendered);
  });

  it('serves the UI page and all its assets itself (no CDN), under a CSP that works over plain HTTP', async () => {
    const page = await request(t.app.server).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests|https:/);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const url of assets) {
      expect(url, 'same-origin asset').toMatch(/^\/docs\//);
      const res = await request(t.app.server).get(url).expect(200);
      expect(res.headers['content-type']).toMatch(/javascript|css|image/);
    }
    const bundle = await request(t.app.server).get('/docs/static/swagger-ui-bundle.js').expect(200);
    expect(bundle.text.length).toBeGreaterThan(500_000);
  });
});
