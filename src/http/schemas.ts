/**
 * JSON schemas for the HTTP API. Fastify validates requests and serialises responses with them,
 * and @fastify/swagger publishes the same objects as the OpenAPI document: one source of truth.
 */
export const errorBody = {
  $id: 'ErrorResponse',
  type: 'object',
  description: 'Every error of the tutorial-style API',
  required: ['success', 'error'],
  properties: {
    success: { type: 'boolean', const: false },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable machine-readable code, e.g. missing_image, image_too_large, queue_full' },
        message: { type: 'string' },
      },
    },
  },
} as const;

export const prediction = {
  $id: 'Prediction',
  type: 'object',
  required: ['label', 'probability', 'index'],
  properties: {
    label: { type: 'string', description: 'ImageNet class label (Keras spelling, e.g. beagle, Walker_hound)' },
    probability: { type: 'number', minimum: 0, maximum: 1 },
    index: { type: 'integer', minimum: 0, description: 'Class index in the model output' },
  },
} as const;

export const predictResponse = {
  $id: 'PredictResponse',
  type: 'object',
  required: ['success', 'predictions'],
  properties: {
    success: { type: 'boolean', const: true },
    predictions: { type: 'array', items: { $ref: 'Prediction#' }, description: 'Best first' },
    model: {
      type: 'object',
      properties: { name: { type: 'string' }, version: { type: 'string' }, engine: { type: 'string' } },
    },
    image: {
      type: 'object',
      description: 'The upload as decoded (after EXIF orientation)',
      properties: { format: { type: 'string' }, width: { type: 'integer' }, height: { type: 'integer' } },
    },
    timings: {
      type: 'object',
      description: 'Server-side milliseconds',
      properties: {
        preprocess_ms: { type: 'number' },
        inference_ms: { type: 'number', description: 'Queueing for the engine plus the batch run' },
        total_ms: { type: 'number' },
      },
    },
  },
} as const;

export const topkQuery = {
  type: 'object',
  properties: {
    // Parsed strictly before validation (src/http/topk-param.ts): the maximum is the model's class count.
    topk: { type: 'integer', minimum: 1, default: 5, description: "How many classes to return: a decimal integer from 1 to the model's class count (its model.yaml `output.classes`); no sign, spaces, exponent or hex" },
    model: { type: 'string', minLength: 1, maxLength: 200, description: 'Which served model classifies the image (default: MODEL_NAME, or the only model); its serving version answers' },
  },
  additionalProperties: false,
} as const;

export const healthResponse = {
  $id: 'Health',
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', description: 'ok (liveness); ready, loading, draining, failed (readiness)' },
    model: { type: 'string' },
    engine: { type: 'string' },
  },
} as const;

export const sharedSchemas = [errorBody, prediction, predictResponse, healthResponse] as const;

/** 4xx/5xx responses every image route can give. */
export const errorResponses = Object.fromEntries(
  [400, 401, 408, 413, 415, 422, 503, 504].map((s) => [s, { $ref: 'ErrorResponse#' }]),
) as Record<number, { $ref: string }>;
