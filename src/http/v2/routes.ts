/**
 * Open Inference Protocol (KServe v2) REST endpoints: server and model health, metadata, and
 * inference, with and without `/versions/{version}`. Errors use the protocol's `{"error": "..."}`
 * body (route config `errorFormat: 'v2'`, rendered by the central error handler): 400 for bad
 * requests, 404 for unknown models/versions, 413 for oversized bodies or images, 503 until ready.
 *
 * Registered without encapsulation so that its schemas join the app's shared ones (and the OpenAPI
 * components).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { EngineName } from '../../config/config.js';
import { AppError, notReady } from '../../errors.js';
import type { InferenceService } from '../../service/inference-service.js';
import { untilAborted } from '../plugins/deadline.js';
import { decodeInput, encodeOutputs, planOutputs, type DecodeLimits } from './codec.js';
import { runBatch } from './run-batch.js';
import { modelParams, ok, v2ErrorResponse, v2Schemas } from './schemas.js';
import { modelMetadata, modelSignature, type ModelSignature } from './signature.js';
import type { InferenceRequest, InferenceResponse, ModelMetadata, ServerMetadata } from './types.js';

export interface V2Options {
  /** Server version reported by GET /v2. */
  version: string;
  /** Server name reported by GET /v2. */
  name?: string;
}

interface ModelParams {
  name: string;
  version?: string;
}

/** Rows one request may carry (further capped by MAX_QUEUE, which it could never fit past). */
export const MAX_ROWS_PER_REQUEST = 32;
/** Room for the JSON around the base64 data (names, shape, quotes, commas). */
const ENVELOPE_BYTES = 64 * 1024;
const EXTENSIONS = ['classification'];

/**
 * JSON body limit: one request may carry as much image data as one /predict upload (MAX_UPLOAD_BYTES),
 * base64 being 4/3 of the bytes, so the per-request memory bound stays what operators configured.
 * A batch of images must fit within it together.
 */
export const v2BodyLimit = (maxUploadBytes: number): number => Math.ceil(maxUploadBytes / 3) * 4 + ENVELOPE_BYTES;

const v2 = { errorFormat: 'v2' } as const;

async function v2Routes(app: FastifyInstance, opts: V2Options): Promise<void> {
  for (const s of v2Schemas) app.addSchema(s);
  const { service, config } = app;
  const limits: DecodeLimits = { maxRows: Math.min(MAX_ROWS_PER_REQUEST, config.maxQueue), maxImageBytes: config.maxUploadBytes };

  /** The served model when the URL names it (404 otherwise) and it is loaded (503 before). */
  const resolve = (params: ModelParams): { signature: ModelSignature; engine: EngineName } => {
    if (params.name !== config.modelName) throw unknownModel(params.name, config.modelName);
    const model = service.model;
    if (model === undefined) throw notLoaded(service, params.name);
    const signature = modelSignature(model.descriptor);
    if (params.version !== undefined && params.version !== signature.version) throw unknownVersion(signature, params.version);
    return { signature, engine: model.engine.engine };
  };

  /** Holds room for `images` more images until the response is over (503 queue_full when none). */
  const admit = (reply: FastifyReply, images: number): void => {
    const release = service.admit(images);
    reply.raw.once('close', release);
  };

  const serverMetadata: ServerMetadata = { name: opts.name ?? 'resnet-serve', version: opts.version, extensions: EXTENSIONS };
  const serverMetadataResponse = { 200: ok('Server name, version and protocol extensions', 'V2ServerMetadata') };
  app.get('/v2', { config: v2, schema: { summary: 'Server metadata', tags: ['v2'], response: serverMetadataResponse } }, async () => serverMetadata);
  // The spec's own OpenAPI file spells it `/v2/`: answer both, document one.
  app.get('/v2/', { config: v2, schema: { hide: true, response: serverMetadataResponse } }, async () => serverMetadata);

  app.get(
    '/v2/health/live',
    { config: v2, schema: { summary: 'Server live: 200 while the process answers', tags: ['v2'], response: { 200: ok('Live', 'V2ServerLive') } } },
    async () => ({ live: true }),
  );
  app.get(
    '/v2/health/ready',
    {
      config: v2,
      schema: {
        summary: 'Server ready: 200 once the model is loaded and warm, 503 before and while shutting down',
        tags: ['v2'],
        response: { 200: ok('Ready', 'V2ServerReady'), 503: ok('Not ready', 'V2ServerReady') },
      },
    },
    async (_request, reply) => reply.code(service.ready ? 200 : 503).send({ ready: service.ready }),
  );

  for (const base of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    const versioned = base.includes(':version');
    const params = versioned ? { ...modelParams, required: ['name', 'version'] } : { ...modelParams, properties: { name: modelParams.properties.name } };
    const unknown = versioned ? 'Unknown model or version' : 'Unknown model';

    app.get<{ Params: ModelParams }>(
      base,
      {
        config: v2,
        schema: {
          summary: versioned ? 'Model metadata (a given version)' : 'Model metadata: inputs, outputs, datatypes and shapes',
          tags: ['v2'],
          params,
          response: { 200: ok('Model metadata', 'V2ModelMetadata'), 404: v2ErrorResponse(unknown), 503: v2ErrorResponse('The model is not loaded yet') },
        },
      },
      async (request): Promise<ModelMetadata> => {
        const { signature, engine } = resolve(request.params);
        return modelMetadata(signature, engine);
      },
    );

    app.get<{ Params: ModelParams }>(
      `${base}/ready`,
      {
        config: v2,
        schema: {
          summary: versioned ? 'Model ready (a given version)' : 'Model ready: 200 when it can serve inference, 503 before',
          tags: ['v2'],
          params,
          response: { 200: ok('Ready', 'V2ModelReady'), 404: v2ErrorResponse(unknown), 503: ok('Not ready', 'V2ModelReady') },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        if (name !== config.modelName) throw unknownModel(name, config.modelName);
        // Before the load the version cannot be checked yet; the answer is "not ready" either way.
        if (service.model !== undefined) resolve(request.params);
        return reply.code(service.ready ? 200 : 503).send({ name, ready: service.ready });
      },
    );

    app.post<{ Params: ModelParams; Body: InferenceRequest }>(
      `${base}/infer`,
      {
        config: { ...v2, auth: true },
        bodyLimit: v2BodyLimit(config.maxUploadBytes),
        // Before the body is read: an unknown model is 404 and a loading one 503, whatever the body;
        // then admission as for /predict (MAX_QUEUE images in flight, shared). The body holds at most
        // one upload's worth of images, so one slot now; the rest once the JSON says how many rows.
        onRequest: async (request, reply) => {
          resolve(request.params);
          admit(reply, 1);
        },
        preValidation: async (request) => rejectNonJson(request),
        schema: {
          summary: versioned ? 'Inference (a given version)' : 'Inference: classify a batch of images',
          description: INFER_DESCRIPTION,
          tags: ['v2'],
          params,
          body: { $ref: 'V2InferenceRequest#' },
          response: {
            200: ok('Output tensors', 'V2InferenceResponse'),
            400: v2ErrorResponse('Bad request: wrong input name, datatype, shape or data; bad base64; not a usable image (the row is named)'),
            401: v2ErrorResponse('Missing or invalid API key (only when API_KEYS is set)'),
            404: v2ErrorResponse(unknown),
            413: v2ErrorResponse('Body over the limit (base64 of MAX_UPLOAD_BYTES), or an image over MAX_UPLOAD_BYTES / MAX_PIXELS'),
            415: v2ErrorResponse('Not a JSON body'),
            503: v2ErrorResponse('The model is not loaded yet, MAX_QUEUE images are already in flight (Retry-After), or the server is shutting down'),
            504: v2ErrorResponse('The request missed its deadline (REQUEST_TIMEOUT_MS)'),
          },
        },
      },
      async (request, reply): Promise<InferenceResponse> => {
        const { signature } = resolve(request.params);
        const body = request.body;
        const input = decodeInput(body.inputs, signature, limits);
        const plans = planOutputs(body.outputs, signature);
        const rows = input.kind === 'images' ? input.images.length : input.rows.length;
        if (rows > 1) admit(reply, rows - 1);
        const probabilities = await untilAborted(runBatch(service, input, request.deadline), request.deadline);
        return {
          model_name: signature.name,
          model_version: signature.version,
          ...(body.id !== undefined ? { id: body.id } : {}),
          outputs: encodeOutputs(probabilities, plans, signature, (p, k) => service.topK(p, k)),
        };
      },
    );
  }

  // Anything else under /v2 is a 404 in the protocol's error shape too.
  app.all('/v2/*', { config: v2, schema: { hide: true } }, async (request) => {
    throw new AppError('not_found', 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
}

const unknownModel = (name: string, served: string): AppError =>
  new AppError('not_found', 'unknown_model', `unknown model '${name}'; this server serves '${served}'`);

const unknownVersion = (s: ModelSignature, version: string): AppError =>
  new AppError('not_found', 'unknown_version', `model '${s.name}' has no version '${version}'; available: ${s.version}`);

function notLoaded(service: Pick<InferenceService, 'state'>, name: string): AppError {
  if (service.state === 'failed') return new AppError('not_ready', 'model_failed', `model '${name}' failed to load`);
  if (service.state === 'draining' || service.state === 'stopped') return notReady('shutting_down', 'the server is shutting down', 1);
  return notReady('model_not_ready', `model '${name}' is still loading; retry shortly`);
}

/** Raw bodies (image/*, octet-stream: Triton's binary tensor extension), multipart or text are not v2 JSON. */
function rejectNonJson(request: FastifyRequest): void {
  const body: unknown = request.body;
  if (Buffer.isBuffer(body) || typeof body === 'string' || request.isMultipart()) {
    throw new AppError(
      'unsupported_media',
      'unsupported_content_type',
      `send the inference request as JSON (Content-Type: application/json), got ${request.headers['content-type'] ?? '(none)'}; binary tensor data is not supported, send images base64-encoded`,
    );
  }
}

const INFER_DESCRIPTION = [
  'Send **exactly one** input (exact shapes: `GET /v2/models/{name}`):',
  '',
  '- `image`, datatype `BYTES`, shape `[N]` (or `[N, 1]`): one base64-encoded image (jpeg, png, webp, gif, tiff, avif) per row; the server decodes and preprocesses it exactly as `/predict` does.',
  '- `input`, datatype `FP32`, shape `[N, H, W, C]` (resnet50: `[N, 224, 224, 3]`): rows already preprocessed as the model expects (its model.yaml `preprocessing`); `data` flat in row-major order or nested like the shape.',
  '',
  `At most ${MAX_ROWS_PER_REQUEST} rows per request (and never more than MAX_QUEUE); the whole JSON body may be as large as the base64 of MAX_UPLOAD_BYTES.`,
  'Rows count against the same MAX_QUEUE admission and join the same dynamic batcher as `/predict`. Errors name the input and row at fault.',
  '',
  'Output `probabilities` is FP32 `[N, classes]`. Ask for the top-k classes instead with the classification extension:',
  '`"outputs": [{"name": "probabilities", "parameters": {"classification": 5}}]` returns BYTES `[N, 5]` strings `"<score>:<index>:<label>"`, best first.',
  '',
  'Example body (`data` holds the base64 of the image file):',
  '',
  '```json',
  '{"id": "42", "inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["/9j/4AAQSkZJRg..."]}],',
  ' "outputs": [{"name": "probabilities", "parameters": {"classification": 3}}]}',
  '```',
].join('\n');

export const v2RoutesPlugin = fp(v2Routes, { name: 'v2-routes', dependencies: ['deadline', 'uploads'] });
export default v2RoutesPlugin;
