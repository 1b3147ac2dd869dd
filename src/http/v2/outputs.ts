/**
 * Probabilities -> response tensors, for every transport: which outputs a request asked for (and
 * in which form), the tensors themselves, and their encodings as JSON `data` or as raw bytes
 * (REST binary extension, gRPC `raw_output_contents`).
 */
import { invalidRequest } from '../../errors.js';
import type { Prediction } from '../../service/topk.js';
import { encodeLengthPrefixed, fp32Bytes } from './tensor-bytes.js';
import type { ModelSignature } from './signature.js';
import type { Parameters, ResponseOutput } from './types.js';

/** One requested output: raw probabilities or top-k classification strings, as JSON or binary. */
export interface OutputPlan {
  name: string;
  classification?: number;
  /** Triton's binary tensor data extension: return the tensor as bytes after the JSON. */
  binary: boolean;
}

export interface RequestedOutput {
  name: string;
  parameters?: Parameters;
}

/** A computed output tensor, before it is encoded for a transport. */
export type OutputTensor =
  | { name: string; datatype: 'FP32'; shape: [number, number]; values: Float32Array }
  | { name: string; datatype: 'BYTES'; shape: [number, number]; values: string[] };

const optionalBoolean = (value: unknown, what: string): boolean | undefined => {
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalidRequest('invalid_parameter', `${what} must be true or false, got ${JSON.stringify(value)}`);
};

/** The request-wide `binary_data_output` parameter (binary extension): the default of every output. */
export const binaryByDefault = (parameters: Parameters | undefined): boolean =>
  optionalBoolean(parameters?.binary_data_output, 'parameters.binary_data_output') ?? false;

/** Which outputs to return: all (`probabilities`) unless the request names some. */
export function planOutputs(outputs: readonly RequestedOutput[] | undefined, s: ModelSignature, binaryDefault: boolean): OutputPlan[] {
  const p = s.probabilities;
  if (outputs === undefined || outputs.length === 0) return [{ name: p.name, binary: binaryDefault }];
  const seen = new Set<string>();
  return outputs.map((o) => {
    if (o.name !== p.name) throw invalidRequest('unknown_output', `unknown output '${o.name}'; model '${s.name}' gives '${p.name}'`);
    if (seen.has(o.name)) throw invalidRequest('duplicate_output', `output '${o.name}' is requested twice`);
    seen.add(o.name);
    const binary = optionalBoolean(o.parameters?.binary_data, `output '${o.name}': parameters.binary_data`) ?? binaryDefault;
    const k = o.parameters?.classification;
    if (k === undefined) return { name: o.name, binary };
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > p.classes) {
      throw invalidRequest('invalid_classification', `output '${o.name}': parameters.classification must be an integer from 1 to ${p.classes}, got ${JSON.stringify(k)}`);
    }
    return { name: o.name, classification: k, binary };
  });
}

/**
 * Output tensors for a batch's probability rows. Classification strings follow Triton's
 * classification extension: `"<value>:<index>:<label>"`, best first.
 */
export function computeOutputs(
  probabilities: readonly Float32Array[],
  plans: readonly OutputPlan[],
  s: ModelSignature,
  topK: (probs: Float32Array, k: number) => Prediction[],
): OutputTensor[] {
  const n = probabilities.length;
  const classes = s.probabilities.classes;
  return plans.map((plan): OutputTensor => {
    if (plan.classification !== undefined) {
      const k = plan.classification;
      const values = probabilities.flatMap((row) => topK(row, k).map((c) => `${c.probability}:${c.index}:${c.label}`));
      return { name: plan.name, datatype: 'BYTES', shape: [n, k], values };
    }
    const values = new Float32Array(n * classes);
    probabilities.forEach((row, r) => values.set(row.subarray(0, classes), r * classes));
    return { name: plan.name, datatype: 'FP32', shape: [n, classes], values };
  });
}

/** A tensor's raw bytes: little-endian FP32, or 4-byte length-prefixed BYTES elements. */
export const rawBytes = (t: OutputTensor): Buffer => (t.datatype === 'FP32' ? fp32Bytes(t.values) : encodeLengthPrefixed(t.values.map((v) => Buffer.from(v))));

/** A tensor as JSON `data` (numbers, or strings for BYTES). */
export const jsonOutput = (t: OutputTensor): ResponseOutput => ({
  name: t.name,
  datatype: t.datatype,
  shape: t.shape,
  data: t.datatype === 'FP32' ? Array.from(t.values) : t.values,
});
