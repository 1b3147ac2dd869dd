/**
 * The Open Inference Protocol (KServe v2) REST payloads as TypeScript types, field for field after
 * the spec (kserve/open-inference-protocol, specification/protocol/inference_rest.md), plus the
 * parameters of Triton's binary tensor data extension (triton-inference-server/server,
 * docs/protocol/extension_binary_data.md).
 */

/** The spec's tensor data types; `BF16` came later but clients may send it. */
export const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BF16', 'BYTES'] as const;
export type Datatype = (typeof DATATYPES)[number];

/** `$parameters`: key/value pairs whose values are strings, numbers or booleans. */
export type Parameters = Record<string, unknown>;

export type TensorScalar = number | string | boolean;
/** Row-major tensor contents, flat or nested like the shape. */
export type TensorData = (TensorScalar | TensorData)[];

export interface MetadataTensor {
  name: string;
  datatype: Datatype;
  /** -1 marks a variable-size dimension (the batch). */
  shape: number[];
}

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: MetadataTensor[];
  outputs: MetadataTensor[];
}

export interface RequestInput {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: Parameters;
  /** Absent when the tensor travels as binary data after the JSON (`parameters.binary_data_size`). */
  data?: TensorData;
}

export interface RequestOutput {
  name: string;
  parameters?: Parameters;
}

export interface InferenceRequest {
  id?: string;
  parameters?: Parameters;
  inputs: RequestInput[];
  outputs?: RequestOutput[];
}

export interface ResponseOutput {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Parameters;
  /** Absent when the tensor travels as binary data after the JSON (`parameters.binary_data_size`). */
  data?: TensorScalar[];
}

export interface InferenceResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Parameters;
  outputs: ResponseOutput[];
}
