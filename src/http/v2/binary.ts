/**
 * Triton's binary tensor data extension over HTTP (triton-inference-server/server,
 * docs/protocol/extension_binary_data.md): the body is the JSON request followed by the inputs'
 * bytes in input order; the `Inference-Header-Content-Length` header gives the JSON's length, each
 * input's `parameters.binary_data_size` its share of the rest. Responses are built the same way.
 */
import { invalidRequest } from '../../errors.js';
import type { InputTensor } from './codec.js';
import { jsonOutput, rawBytes, type OutputTensor, type OutputPlan } from './outputs.js';
import type { InferenceResponse, RequestInput, ResponseOutput } from './types.js';

export const HEADER_LENGTH = 'inference-header-content-length';

/** The `Inference-Header-Content-Length` header's value: the length of the JSON part, if any. */
export function jsonLength(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = (Array.isArray(header) ? header[0] : header).trim();
  if (!/^\d{1,15}$/.test(text)) throw invalidRequest('invalid_header_length', `Inference-Header-Content-Length must be a byte count, got '${text}'`);
  return Number(text);
}

/** The JSON part and the binary part of a request body (all JSON without the header). */
export function splitBody(body: Buffer, length: number | undefined): { json: Buffer; tail?: Buffer } {
  if (length === undefined) return { json: body };
  if (length > body.length) {
    throw invalidRequest('invalid_header_length', `Inference-Header-Content-Length is ${length} but the body has only ${body.length} bytes`);
  }
  return { json: body.subarray(0, length), tail: body.subarray(length) };
}

/** The request's inputs with their contents: JSON `data`, or their slice of the binary part. */
export function inputTensors(inputs: readonly RequestInput[], tail: Buffer | undefined): InputTensor[] {
  let at = 0;
  const tensors = inputs.map((input): InputTensor => {
    const { name, datatype, shape } = input;
    const size = input.parameters?.binary_data_size;
    if (size === undefined) {
      if (input.data === undefined) throw invalidRequest('missing_data', `input '${name}' has neither data nor parameters.binary_data_size`);
      return { name, datatype, shape, contents: { kind: 'json', data: input.data } };
    }
    if (input.data !== undefined) throw invalidRequest('invalid_binary_data', `input '${name}' has both data and parameters.binary_data_size; send one`);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw invalidRequest('invalid_binary_data', `input '${name}': parameters.binary_data_size must be an integer >= 0, got ${JSON.stringify(size)}`);
    }
    const available = tail === undefined ? 0 : tail.length - at;
    if (tail === undefined || size > available) {
      const why = tail === undefined ? 'the request has no Inference-Header-Content-Length header, so no binary part' : `only ${available} bytes of binary data remain`;
      throw invalidRequest('invalid_binary_data', `input '${name}': parameters.binary_data_size is ${size} but ${why}`);
    }
    const bytes = tail.subarray(at, at + size);
    at += size;
    return { name, datatype, shape, contents: { kind: 'raw', bytes } };
  });
  if (tail !== undefined && at !== tail.length) {
    throw invalidRequest('invalid_binary_data', `the body has ${tail.length - at} bytes of binary data beyond the inputs' binary_data_size`);
  }
  return tensors;
}

/** A response body: plain JSON, or (when any output is binary) JSON then the binary outputs' bytes. */
export function encodeResponse(
  head: Omit<InferenceResponse, 'outputs'>,
  tensors: readonly OutputTensor[],
  plans: readonly OutputPlan[],
): { json: InferenceResponse } | { binary: Buffer; headerLength: number } {
  if (!plans.some((p) => p.binary)) return { json: { ...head, outputs: tensors.map(jsonOutput) } };
  const parts: Buffer[] = [];
  const outputs = tensors.map((t, i): ResponseOutput => {
    if (!plans[i].binary) return jsonOutput(t);
    const bytes = rawBytes(t);
    parts.push(bytes);
    return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: bytes.length } };
  });
  const header = Buffer.from(JSON.stringify({ ...head, outputs }));
  return { binary: Buffer.concat([header, ...parts]), headerLength: header.length };
}
