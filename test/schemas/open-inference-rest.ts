/**
 * JSON Schemas of the Open Inference Protocol's REST responses, written from the official OpenAPI
 * document: kserve/open-inference-protocol, specification/protocol/open_inference_rest.yaml
 * (components/schemas; OpenAPI 3.0 `$ref`s become `$id` references). The tests validate every v2
 * HTTP response against them; they are the spec's, not the server's own schemas (src/http/v2/schemas.ts),
 * so a drift between the two shows.
 *
 * Two additions, each from its own source:
 * - Triton's binary tensor data extension (triton-inference-server/server,
 *   docs/protocol/extension_binary_data.md): a binary output has no `data` and instead an integer
 *   `parameters.binary_data_size` (`inference_response_binary`);
 * - the health endpoints: the OpenAPI document declares only their status codes, so their bodies
 *   are allowed to be anything (this server sends `{"live": true}` and the like).
 */

const ref = (id: string): { $ref: string } => ({ $ref: `${id}#` });

export const tensorData = {
  $id: 'tensor_data',
  type: 'array',
  items: { anyOf: [ref('tensor_data'), { type: 'number' }, { type: 'string' }, { type: 'boolean' }] },
} as const;

export const parameters = { $id: 'parameters', type: 'object' } as const;

export const metadataServerResponse = {
  $id: 'metadata_server_response',
  type: 'object',
  properties: { name: { type: 'string' }, version: { type: 'string' }, extensions: { type: 'array', items: { type: 'string' } } },
  required: ['name', 'version', 'extensions'],
} as const;

export const metadataServerErrorResponse = {
  $id: 'metadata_server_error_response',
  type: 'object',
  properties: { error: { type: 'string' } },
  required: ['error'],
} as const;

export const metadataTensor = {
  $id: 'metadata_tensor',
  type: 'object',
  properties: { name: { type: 'string' }, datatype: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } } },
  required: ['name', 'datatype', 'shape'],
} as const;

export const metadataModelResponse = {
  $id: 'metadata_model_response',
  type: 'object',
  properties: {
    name: { type: 'string' },
    versions: { type: 'array', items: { type: 'string' } },
    platform: { type: 'string' },
    inputs: { type: 'array', items: ref('metadata_tensor') },
    outputs: { type: 'array', items: ref('metadata_tensor') },
  },
  required: ['name', 'platform'],
} as const;

export const metadataModelErrorResponse = {
  $id: 'metadata_model_error_response',
  type: 'object',
  properties: { error: { type: 'string' } },
  required: ['error'],
} as const;

export const responseOutput = {
  $id: 'response_output',
  type: 'object',
  properties: {
    name: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer' } },
    datatype: { type: 'string' },
    parameters: ref('parameters'),
    data: ref('tensor_data'),
  },
  required: ['name', 'shape', 'datatype', 'data'],
} as const;

export const inferenceResponse = {
  $id: 'inference_response',
  type: 'object',
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    id: { type: 'string' },
    parameters: ref('parameters'),
    outputs: { type: 'array', items: ref('response_output') },
  },
  required: ['model_name', 'outputs'],
} as const;

export const inferenceErrorResponse = {
  $id: 'inference_error_response',
  type: 'object',
  properties: { error: { type: 'string' } },
} as const;

/** Binary extension: an output is either JSON (`data`) or binary (`parameters.binary_data_size`). */
export const responseOutputBinary = {
  $id: 'response_output_binary',
  anyOf: [
    ref('response_output'),
    {
      type: 'object',
      properties: {
        name: { type: 'string' },
        shape: { type: 'array', items: { type: 'integer' } },
        datatype: { type: 'string' },
        parameters: { type: 'object', properties: { binary_data_size: { type: 'integer', minimum: 0 } }, required: ['binary_data_size'] },
        data: false,
      },
      required: ['name', 'shape', 'datatype', 'parameters'],
    },
  ],
} as const;

const { $id: _id, ...inferenceResponseBody } = inferenceResponse;

export const inferenceResponseBinary = {
  ...inferenceResponseBody,
  $id: 'inference_response_binary',
  properties: { ...inferenceResponse.properties, outputs: { type: 'array', items: ref('response_output_binary') } },
} as const;

/** In dependency order. */
export const openInferenceSchemas = [
  tensorData,
  parameters,
  metadataServerResponse,
  metadataServerErrorResponse,
  metadataTensor,
  metadataModelResponse,
  metadataModelErrorResponse,
  responseOutput,
  inferenceResponse,
  inferenceErrorResponse,
  responseOutputBinary,
  inferenceResponseBinary,
];
