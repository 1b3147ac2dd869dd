/**
 * POST /v2/models/{name}[/versions/{version}]/infer. An encapsulated plugin, because it parses its
 * own bodies: JSON, or, with `Inference-Header-Content-Length`, Triton's binary tensor data (JSON,
 * then raw tensors); anything else is 415. The size limit and the JSON bounds (nesting depth,
 * containers) apply while the body arrives (src/http/v2/body-reader.ts), before any parse.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { untilAborted } from '../plugins/deadline.js';
import { meterUpload } from '../plugins/upload-meter.js';
import { encodeResponse, HEADER_LENGTH, inputTensors, jsonLength, splitBody } from './binary.js';
import { readBoundedBody } from './body-reader.js';
import { decodeInput, decodeLimits, MAX_ROWS_PER_REQUEST, v2BodyLimit } from './codec.js';
import { parseJson } from './json-bounds.js';
import { binaryByDefault, computeOutputs, planOutputs } from './outputs.js';
import type { ModelVersion } from '../../service/inference-service.js';
import { resolveModel, type ModelRef, type ResolvedModel } from './resolve.js';
import { runBatch } from './run-batch.js';
import { ok, v2ErrorResponse, type modelParams } from './schemas.js';
import type { InferenceRequest, InferenceResponse } from './types.js';

export { MAX_ROWS_PER_REQUEST, v2BodyLimit };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/** The binary part of each request that had one, from the body parser to the handler. */
const binaryParts = new WeakMap<FastifyRequest, Buffer>();

async function parseInferBody(request: FastifyRequest, payload: Readable, limit: number): Promise<unknown> {
  const headers = request.headers;
  const length = jsonLength(headers[HEADER_LENGTH]);
  const contentType = headers['content-type'];
  if (length === undefined && !JSON_TYPE.test(contentType?.split(';')[0].trim() ?? '')) {
    throw new AppError(
      'unsupported_media',
      'unsupported_content_type',
      `send the inference request as JSON (Content-Type: application/json), or as binary tensor data with an Inference-Header-Content-Length header; got Content-Type ${contentType ?? '(none)'}`,
    );
  }
  const declared = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const body = await readBoundedBody(payload, { limit, contentLength: declared, jsonLength: length });
  const { json, tail } = splitBody(body, length);
  if (tail !== undefined) binaryParts.set(request, tail);
  return parseJson(json);
}

export async function inferRoutes(app: FastifyInstance, opts: { params: typeof modelParams }): Promise<void> {
  const { service, config } = app;
  const limits = decodeLimits(config);
  const bodyLimit = v2BodyLimit(config.maxUploadBytes);
  const resolve = (ref: ModelRef) => resolveModel(service, ref);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', async (request: FastifyRequest, payload: Readable) => parseInferBody(request, payload, bodyLimit));

  /**
   * Holds room for `images` more images and pins the model version until the response is over
   * (503 queue_full when there is no room); returns the pinned version.
   */
  const admit = (reply: FastifyReply, images: number, ref: ResolvedModel['ref']): ModelVersion => {
    const { model, release } = service.admit(images, ref);
    reply.raw.once('close', release);
    return model;
  };

  for (const base of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    const versioned = base.includes(':version');
    const params = versioned ? { ...opts.params, required: ['name', 'version'] } : { ...opts.params, properties: { name: opts.params.properties.name } };
    app.post<{ Params: ModelRef; Body: InferenceRequest }>(
      `${base}/infer`,
      {
        config: { errorFormat: 'v2', auth: true },
        bodyLimit,
        // Before the body is read: an unknown model is 404 and a loading one 503, whatever the body.
        // Admission (MAX_QUEUE images in flight, shared with /predict) comes once the body is in, as
        // for /predict: a slow or stalled upload holds only its bytes (the memory budget), no slot.
        onRequest: async (request) => {
          resolve(request.params);
        },
        // As /predict's: the body is charged to the memory budget from its first byte.
        preParsing: async (request, reply, payload) =>
          meterUpload(request, reply, payload, { budget: service.memory, maxUploadBytes: bodyLimit, timeoutMs: config.requestTimeoutMs, maxWaitMs: config.admissionWaitMs }),
        schema: {
          summary: versioned ? 'Inference (a given version)' : 'Inference: classify a batch of images',
          description: INFER_DESCRIPTION,
          tags: ['v2'],
          params,
          body: { $ref: 'V2InferenceRequest#' },
          response: {
            200: ok('Output tensors (JSON; or, when an output asks for binary data, the JSON header then the bytes)', 'V2InferenceResponse'),
            400: v2ErrorResponse('Bad request: wrong input name, datatype, shape or data; bad base64 or binary data; JSON nested too deep; not a usable image (the row is named)'),
            401: v2ErrorResponse('Missing or invalid API key (only when API_KEYS is set)'),
            404: v2ErrorResponse(versioned ? 'Unknown model or version' : 'Unknown model'),
            413: v2ErrorResponse('Body over the limit (base64 of MAX_UPLOAD_BYTES), or an image over MAX_UPLOAD_BYTES / MAX_PIXELS'),
            415: v2ErrorResponse('Neither JSON nor binary tensor data (Inference-Header-Content-Length)'),
            503: v2ErrorResponse('The model is not loaded yet, MAX_QUEUE images are already in flight (Retry-After), or the server is shutting down'),
            504: v2ErrorResponse('The request missed its deadline (REQUEST_TIMEOUT_MS)'),
          },
        },
      },
      async (request, reply): Promise<InferenceResponse | FastifyReply> => {
        const { signature, ref } = resolve(request.params);
        const body = request.body;
        const input = decodeInput(inputTensors(body.inputs, binaryParts.get(request)), signature, limits);
        const plans = planOutputs(body.outputs, signature, binaryByDefault(body.parameters));
        const rows = input.kind === 'images' ? input.images.length : input.rows.length;
        const model = admit(reply, rows, ref);
        const probabilities = await untilAborted(runBatch(model, input, request.deadline, request.deadlineAt), request.deadline);
        const tensors = computeOutputs(probabilities, plans, signature, (p, k) => model.topK(p, k));
        const head = { model_name: signature.name, model_version: model.descriptor.version, ...(body.id !== undefined ? { id: body.id } : {}) };
        const encoded = encodeResponse(head, tensors, plans);
        if ('json' in encoded) return encoded.json;
        return reply.type('application/octet-stream').header(HEADER_LENGTH, String(encoded.headerLength)).send(encoded.binary);
      },
    );
  }
}

const INFER_DESCRIPTION = [
  'Send the one input the model lists (`GET /v2/models/{name}`); the model is served under two names, one per input form:',
  '',
  '- model `resnet50`, input `image`, datatype `BYTES`, shape `[N]` (or `[N, 1]`): one encoded image (jpeg, png, webp, gif, tiff, avif) per row, base64 in JSON; the server decodes and preprocesses it exactly as `/predict` does.',
  '- model `resnet50_tensor`, input `input`, datatype `FP32`, shape `[N, H, W, C]` (`[N, 224, 224, 3]`): rows already preprocessed as the model expects (its model.yaml `preprocessing`); `data` flat in row-major order or nested like the shape; values must be finite FP32.',
  '',
  `At most ${MAX_ROWS_PER_REQUEST} rows per request (and never more than MAX_QUEUE); the whole body may be as large as the base64 of MAX_UPLOAD_BYTES, nested at most 16 levels deep.`,
  'Rows count against the same MAX_QUEUE admission and join the same dynamic batcher as `/predict`. Errors name the input and row at fault.',
  '',
  'Output `probabilities` is FP32 `[N, classes]`. Ask for the top-k classes instead with the classification extension:',
  '`"outputs": [{"name": "probabilities", "parameters": {"classification": 5}}]` returns BYTES `[N, 5]` strings `"<score>:<index>:<label>"`, best first.',
  '',
  "Binary tensor data (Triton's extension): send the JSON, then the tensors' bytes, with header `Inference-Header-Content-Length: <JSON bytes>` and `parameters.binary_data_size` on each binary input",
  '(BYTES elements: a 4-byte little-endian length, then the bytes; FP32: little-endian floats). `parameters.binary_data: true` on an output, or `binary_data_output: true` on the request,',
  'returns that output as bytes after the JSON (response header `Inference-Header-Content-Length`, `parameters.binary_data_size` on the output).',
  '',
  'Example body (`data` holds the base64 of the image file):',
  '',
  '```json',
  '{"id": "42", "inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["/9j/4AAQSkZJRg..."]}],',
  ' "outputs": [{"name": "probabilities", "parameters": {"classification": 3}}]}',
  '```',
].join('\n');
