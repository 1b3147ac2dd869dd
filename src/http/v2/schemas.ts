/**
 * JSON schemas of the Open Inference Protocol (KServe v2) REST API, after the spec's own
 * open_inference_rest.yaml. Fastify validates and serialises with them and @fastify/swagger
 * publishes them as OpenAPI components (named by `$id`).
 *
 * Two deliberate looseness points, both checked in code instead:
 * - tensor `data` items are unconstrained: an FP32 row is 150,528 numbers and the codec visits
 *   every element anyway, against the input's datatype and shape;
 * - `parameters` values are untyped: with the app's type coercion, a typed anyOf would silently
 *   turn numbers into strings (or booleans into numbers).
 */

const tensorData = {
  type: 'array',
  items: {},
  description: 'Tensor contents in row-major order, flat or nested like `shape`. BYTES: one base64 string per element; FP32: numbers.',
} as const;

const shape = {
  type: 'array',
  items: { type: 'integer', minimum: 0 },
  description: 'Dimensions, outermost (the batch) first',
} as const;

export const v2Error = {
  $id: 'V2Error',
  type: 'object',
  description: 'Every error of the v2 API: a descriptive message',
  required: ['error'],
  properties: { error: { type: 'string' } },
} as const;

export const v2Parameters = {
  $id: 'V2Parameters',
  type: 'object',
  description: 'Key/value pairs; values are strings, numbers or booleans',
  additionalProperties: true,
} as const;

export const v2ServerMetadata = {
  $id: 'V2ServerMetadata',
  type: 'object',
  required: ['name', 'version', 'extensions'],
  properties: {
    name: { type: 'string', description: 'Server name' },
    version: { type: 'string', description: 'Server version' },
    extensions: { type: 'array', items: { type: 'string' }, description: 'Protocol extensions supported, e.g. classification' },
  },
} as const;

export const v2MetadataTensor = {
  $id: 'V2MetadataTensor',
  type: 'object',
  required: ['name', 'datatype', 'shape'],
  properties: {
    name: { type: 'string' },
    datatype: { type: 'string', description: 'Tensor data type, e.g. FP32, BYTES' },
    shape: { type: 'array', items: { type: 'integer' }, description: '-1 marks a variable-size dimension (the batch)' },
  },
} as const;

export const v2ModelMetadata = {
  $id: 'V2ModelMetadata',
  type: 'object',
  required: ['name', 'platform', 'inputs', 'outputs'],
  properties: {
    name: { type: 'string' },
    versions: { type: 'array', items: { type: 'string' }, description: 'Versions that may be requested explicitly' },
    platform: { type: 'string', description: 'Framework/backend, informational: onnx_onnxv1 (ONNX Runtime) or tensorflowjs_layers (TF.js)' },
    inputs: {
      type: 'array',
      items: { $ref: 'V2MetadataTensor#' },
      description: 'The inputs infer takes: `image` (BYTES encoded images) for `resnet50`, `input` (FP32 preprocessed NHWC rows) for `resnet50_tensor`',
    },
    outputs: { type: 'array', items: { $ref: 'V2MetadataTensor#' } },
  },
} as const;

export const v2ServerLive = {
  $id: 'V2ServerLive',
  type: 'object',
  required: ['live'],
  properties: { live: { type: 'boolean' } },
} as const;

export const v2ServerReady = {
  $id: 'V2ServerReady',
  type: 'object',
  required: ['ready'],
  properties: { ready: { type: 'boolean' } },
} as const;

export const v2ModelReady = {
  $id: 'V2ModelReady',
  type: 'object',
  required: ['name', 'ready'],
  properties: { name: { type: 'string' }, ready: { type: 'boolean' } },
} as const;

export const v2RequestInput = {
  $id: 'V2RequestInput',
  type: 'object',
  // `data` is required unless the tensor is binary (`parameters.binary_data_size`): checked in code.
  required: ['name', 'shape', 'datatype'],
  properties: {
    name: { type: 'string', description: '`image` or `input` (see the model metadata)' },
    shape,
    datatype: { type: 'string', description: 'BYTES for `image`, FP32 for `input`' },
    parameters: {
      $ref: 'V2Parameters#',
      description: '`{"binary_data_size": n}`: the tensor is the next n bytes after the JSON (binary tensor data extension) instead of `data`',
    },
    data: tensorData,
  },
} as const;

export const v2RequestOutput = {
  $id: 'V2RequestOutput',
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', description: '`probabilities`' },
    parameters: {
      $ref: 'V2Parameters#',
      description:
        '`{"classification": k}` (1..classes) returns this output as BYTES strings `"<score>:<index>:<label>"`, shape [N, k], best first (Triton classification extension); `{"binary_data": true}` returns it as bytes after the JSON (binary tensor data extension)',
    },
  },
} as const;

export const v2InferenceRequest = {
  $id: 'V2InferenceRequest',
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string', description: 'Echoed in the response' },
    parameters: { $ref: 'V2Parameters#', description: '`{"binary_data_output": true}`: every output as binary data unless it says otherwise' },
    inputs: { type: 'array', minItems: 1, items: { $ref: 'V2RequestInput#' } },
    outputs: { type: 'array', items: { $ref: 'V2RequestOutput#' }, description: 'Outputs to return; all (`probabilities`) when absent or empty' },
  },
} as const;

export const v2ResponseOutput = {
  $id: 'V2ResponseOutput',
  type: 'object',
  // Without `data` when the output is binary (then `parameters.binary_data_size` gives its bytes).
  required: ['name', 'shape', 'datatype'],
  properties: {
    name: { type: 'string' },
    shape,
    datatype: { type: 'string' },
    parameters: { $ref: 'V2Parameters#' },
    data: tensorData,
  },
} as const;

export const v2InferenceResponse = {
  $id: 'V2InferenceResponse',
  type: 'object',
  required: ['model_name', 'outputs'],
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    id: { type: 'string', description: 'The request id, when the request had one' },
    parameters: { $ref: 'V2Parameters#' },
    outputs: { type: 'array', items: { $ref: 'V2ResponseOutput#' } },
  },
} as const;

/** Triton's model repository extension: one entry per model version found or loaded. */
export const v2RepositoryIndex = {
  $id: 'V2RepositoryIndex',
  type: 'array',
  items: {
    type: 'object',
    required: ['name', 'version', 'state', 'reason'],
    properties: {
      name: { type: 'string' },
      version: { type: 'string' },
      state: { type: 'string', enum: ['LOADING', 'READY', 'UNLOADING', 'UNAVAILABLE'] },
      reason: { type: 'string', description: 'Why the version is not READY (empty when it is)' },
    },
  },
} as const;

/** In dependency order: a schema is added after those it references. */
export const v2Schemas = [
  v2Error,
  v2Parameters,
  v2ServerMetadata,
  v2MetadataTensor,
  v2ModelMetadata,
  v2ServerLive,
  v2ServerReady,
  v2ModelReady,
  v2RequestInput,
  v2RequestOutput,
  v2InferenceRequest,
  v2ResponseOutput,
  v2InferenceResponse,
  v2RepositoryIndex,
] as const;

export const modelParams = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', description: 'Model name, e.g. resnet50' },
    version: { type: 'string', description: 'Model version, e.g. 1' },
  },
} as const;

/** A response with its own description; the `$ref` keeps one shared component. */
export const ok = (description: string, id: string): { description: string; $ref: string } => ({ description, $ref: `${id}#` });

/** A v2 error response with its own description. */
export const v2ErrorResponse = (description: string): { description: string; $ref: string } => ok(description, 'V2Error');
