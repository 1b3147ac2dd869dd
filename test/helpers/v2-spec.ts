/**
 * Every v2 HTTP response in the tests is checked against the official Open Inference Protocol
 * schemas (test/schemas/open-inference-rest.ts), chosen by route and status: `get()` and `post()`
 * return supertest requests that carry the check, so any `.expect(...)` chain keeps it. Binary
 * responses (Inference-Header-Content-Length) have their JSON header checked; request them with
 * `.buffer(true).parse(rawBody)` so the body stays bytes.
 */
import type { Server } from 'node:http';
import { Ajv } from 'ajv';
import request from 'supertest';
import { openInferenceSchemas } from '../schemas/open-inference-rest.js';

const ajv = new Ajv({ allErrors: true, strict: true });
for (const s of openInferenceSchemas) ajv.addSchema(s);

const MODEL = /^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?/;

/** The spec's schema for a response, or undefined where the spec defines no body (health). */
export function specSchema(method: string, url: string, status: number, binary: boolean): string | undefined {
  const path = url.split('?')[0];
  const ok = status >= 200 && status < 300;
  if (/^\/v2\/health\/(?:live|ready)$/.test(path) || new RegExp(`${MODEL.source}/ready$`).test(path)) return undefined;
  if (method === 'GET' && /^\/v2\/?$/.test(path)) return ok ? 'metadata_server_response' : 'metadata_server_error_response';
  if (method === 'GET' && new RegExp(`${MODEL.source}$`).test(path)) return ok ? 'metadata_model_response' : 'metadata_model_error_response';
  if (method === 'POST' && new RegExp(`${MODEL.source}/infer$`).test(path)) {
    return ok ? (binary ? 'inference_response_binary' : 'inference_response') : 'inference_error_response';
  }
  return 'metadata_server_error_response'; // anything else under /v2 is an error: {"error": "..."}
}

/** The JSON part of a response (all of it, or the header before the binary data) and the binary rest. */
export function splitResponse(res: request.Response): { json: unknown; binary?: Buffer } {
  const header = res.headers['inference-header-content-length'];
  if (header === undefined) return { json: Buffer.isBuffer(res.body) ? JSON.parse(res.body.toString()) : res.body };
  if (!Buffer.isBuffer(res.body)) throw new Error('a binary response was parsed; request it with .buffer(true).parse(rawBody)');
  const n = Number(header);
  return { json: JSON.parse(res.body.subarray(0, n).toString()), binary: res.body.subarray(n) };
}

export function expectConforms(method: string, url: string, res: request.Response): void {
  const binary = res.headers['inference-header-content-length'] !== undefined;
  const id = specSchema(method, url, res.status, binary);
  if (id === undefined) return;
  const { json } = splitResponse(res);
  if (!ajv.validate(id, json)) {
    throw new Error(`${method} ${url} -> ${res.status}: the body does not conform to ${id}: ${ajv.errorsText()}\n${JSON.stringify(json).slice(0, 500)}`);
  }
  if (binary && Number(res.headers['content-length']) !== (res.body as Buffer).length) throw new Error('Content-Length is not the whole body');
}

/** Collects the body as bytes whatever its type. */
export function rawBody(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

export const v2Requests = (server: Server) => ({
  get: (url: string) => request(server).get(url).expect((res) => expectConforms('GET', url, res)),
  post: (url: string) => request(server).post(url).expect((res) => expectConforms('POST', url, res)),
});
