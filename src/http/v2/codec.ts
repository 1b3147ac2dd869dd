/**
 * v2 request tensors -> what the service takes, and probabilities -> v2 response tensors. Every
 * check names the tensor (and row) at fault, so a client can fix its request from the message alone.
 * Rows are counted from 0, like the tensor's own indices.
 */
import { invalidRequest, tooLarge } from '../../errors.js';
import type { Prediction } from '../../service/topk.js';
import type { ModelSignature } from './signature.js';
import { DATATYPES, type RequestInput, type RequestOutput, type ResponseOutput, type TensorData, type TensorScalar } from './types.js';

export interface DecodeLimits {
  /** Rows (images) one request may carry. */
  maxRows: number;
  /** Largest encoded image, as for /predict uploads. */
  maxImageBytes: number;
}

export type DecodedInput =
  | { kind: 'images'; name: string; images: Buffer[] }
  | { kind: 'rows'; name: string; rows: Float32Array[] };

/** One requested output: raw probabilities, or top-k classification strings. */
export interface OutputPlan {
  name: string;
  classification?: number;
}

const dims = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function decodeInput(inputs: readonly RequestInput[], s: ModelSignature, limits: DecodeLimits): DecodedInput {
  const choices = `'${s.image.name}' (${s.image.datatype}, encoded images) or '${s.tensor.name}' (${s.tensor.datatype} ${dims([-1, ...s.tensor.rowDims])})`;
  if (inputs.length !== 1) throw invalidRequest('invalid_inputs', `send exactly one input, ${choices}; got ${inputs.length}`);
  const input = inputs[0];
  if (input.name === s.image.name) return decodeImages(input, s, limits);
  if (input.name === s.tensor.name) return decodeRows(input, s, limits);
  throw invalidRequest('unknown_input', `unknown input '${input.name}'; model '${s.name}' takes ${choices}`);
}

function checkDatatype(input: RequestInput, expected: string): void {
  if (input.datatype === expected) return;
  const known = (DATATYPES as readonly string[]).includes(input.datatype);
  throw invalidRequest(
    'invalid_datatype',
    `input '${input.name}' must have datatype ${expected}, got ${known ? input.datatype : `'${input.datatype}' (not a v2 tensor data type)`}`,
  );
}

function checkBatch(input: RequestInput, limits: DecodeLimits): number {
  const n = input.shape[0];
  if (n === 0) throw invalidRequest('empty_batch', `input '${input.name}' has shape ${dims(input.shape)}: no rows`);
  if (n > limits.maxRows) {
    throw invalidRequest('batch_too_large', `input '${input.name}' has ${n} rows; at most ${limits.maxRows} rows per request`);
  }
  return n;
}

function decodeImages(input: RequestInput, s: ModelSignature, limits: DecodeLimits): DecodedInput {
  checkDatatype(input, s.image.datatype);
  const shape = input.shape;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw invalidRequest('invalid_shape', `input '${input.name}' must have shape [N] or [N, 1] (one encoded image per row), got ${dims(shape)}`);
  }
  checkBatch(input, limits);
  const images: Buffer[] = [];
  forEachElement(input, (value, row) => {
    if (typeof value !== 'string') {
      throw invalidRequest('invalid_data', `input '${input.name}' row ${row}: BYTES data must be base64 strings, got ${typeof value}`);
    }
    images.push(decodeBase64(value, input.name, row, limits.maxImageBytes));
  });
  return { kind: 'images', name: input.name, images };
}

function decodeRows(input: RequestInput, s: ModelSignature, limits: DecodeLimits): DecodedInput {
  checkDatatype(input, s.tensor.datatype);
  const shape = input.shape;
  const [h, w, c] = s.tensor.rowDims;
  if (shape.length !== 4 || shape[1] !== h || shape[2] !== w || shape[3] !== c) {
    throw invalidRequest('invalid_shape', `input '${input.name}' must have shape [N, ${h}, ${w}, ${c}] (NHWC), got ${dims(shape)}`);
  }
  const n = checkBatch(input, limits);
  const rowLength = h * w * c;
  const all = new Float32Array(n * rowLength);
  forEachElement(input, (value, i) => {
    if (typeof value !== 'number') {
      throw invalidRequest('invalid_data', `input '${input.name}': FP32 data must be numbers; element ${i} (row ${Math.floor(i / rowLength)}) is a ${typeof value}`);
    }
    all[i] = value;
  });
  // Views, not copies: the batcher copies each row into its batch anyway.
  const rows = Array.from({ length: n }, (_, r) => all.subarray(r * rowLength, (r + 1) * rowLength));
  return { kind: 'rows', name: input.name, rows };
}

// Standard or URL-safe alphabet, padding optional; whitespace (line-wrapped encoders) is ignored.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBase64(text: string, input: string, row: number, maxBytes: number): Buffer {
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  // Buffer.from(.., 'base64') skips anything it does not understand, so garbage would "decode".
  if (!BASE64.test(compact) || compact.length % 4 === 1 || (compact.includes('=') && compact.length % 4 !== 0)) {
    throw invalidRequest('invalid_base64', `input '${input}' row ${row}: not valid base64 (send each encoded image as a base64 string)`);
  }
  const approxBytes = Math.floor((compact.length * 3) / 4);
  if (approxBytes > maxBytes + 2) {
    throw tooLarge('image_too_large', `input '${input}' row ${row}: the image is about ${approxBytes} bytes; the limit is ${maxBytes}`);
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > maxBytes) {
    throw tooLarge('image_too_large', `input '${input}' row ${row}: the image is ${bytes.length} bytes; the limit is ${maxBytes}`);
  }
  return bytes;
}

/**
 * Visits an input's elements in row-major order. `data` may be flat (exactly as many elements as
 * the shape holds) or nested exactly like the shape (the spec allows both).
 */
export function forEachElement(input: Pick<RequestInput, 'name' | 'shape' | 'data'>, visit: (value: TensorScalar, index: number) => void): void {
  const { shape, data, name } = input;
  const total = shape.reduce((a, b) => a * b, 1);
  const mismatch = (why: string): Error => invalidRequest('shape_mismatch', `input '${name}' with shape ${dims(shape)}: ${why}`);
  if (shape.length <= 1 || data.length === 0 || !Array.isArray(data[0])) {
    if (data.length !== total) throw mismatch(`needs ${total} elements, data has ${data.length}`);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (Array.isArray(v)) throw mismatch(`data[${i}] is an array in flat data`);
      visit(v, i);
    }
    return;
  }
  let index = 0;
  const at: number[] = [];
  const where = (): string => `data${at.map((i) => `[${i}]`).join('')}`;
  const walk = (node: TensorData, depth: number): void => {
    if (node.length !== shape[depth]) throw mismatch(`${where()} has ${node.length} elements, dimension ${depth} needs ${shape[depth]}`);
    const leaf = depth === shape.length - 1;
    for (let i = 0; i < node.length; i++) {
      const v = node[i];
      if (leaf) {
        if (Array.isArray(v)) throw mismatch(`${where()}[${i}] is an array; the shape has ${shape.length} dimensions`);
        visit(v, index++);
      } else {
        if (!Array.isArray(v)) throw mismatch(`${where()}[${i}] is a value where the shape needs an array`);
        at.push(i);
        walk(v, depth + 1);
        at.pop();
      }
    }
  };
  walk(data, 0);
}

/** Which outputs to return: all (`probabilities`) unless the request names some. */
export function planOutputs(outputs: readonly RequestOutput[] | undefined, s: ModelSignature): OutputPlan[] {
  const p = s.probabilities;
  if (outputs === undefined || outputs.length === 0) return [{ name: p.name }];
  const seen = new Set<string>();
  return outputs.map((o) => {
    if (o.name !== p.name) throw invalidRequest('unknown_output', `unknown output '${o.name}'; model '${s.name}' gives '${p.name}'`);
    if (seen.has(o.name)) throw invalidRequest('duplicate_output', `output '${o.name}' is requested twice`);
    seen.add(o.name);
    const k = o.parameters?.classification;
    if (k === undefined) return { name: o.name };
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > p.classes) {
      throw invalidRequest('invalid_classification', `output '${o.name}': parameters.classification must be an integer from 1 to ${p.classes}, got ${JSON.stringify(k)}`);
    }
    return { name: o.name, classification: k };
  });
}

/**
 * Response tensors for a batch's probability rows. Classification strings follow Triton's
 * classification extension: `"<value>:<index>:<label>"`, best first.
 */
export function encodeOutputs(
  probabilities: readonly Float32Array[],
  plans: readonly OutputPlan[],
  s: ModelSignature,
  topK: (probs: Float32Array, k: number) => Prediction[],
): ResponseOutput[] {
  const n = probabilities.length;
  const classes = s.probabilities.classes;
  return plans.map((plan) => {
    if (plan.classification !== undefined) {
      const k = plan.classification;
      const data = probabilities.flatMap((row) => topK(row, k).map((c) => `${c.probability}:${c.index}:${c.label}`));
      return { name: plan.name, datatype: 'BYTES', shape: [n, k], data };
    }
    const data = new Array<number>(n * classes);
    probabilities.forEach((row, r) => {
      for (let i = 0; i < classes; i++) data[r * classes + i] = row[i];
    });
    return { name: plan.name, datatype: 'FP32', shape: [n, classes], data };
  });
}
