/**
 * Request tensors -> what the service takes, for every transport of the Open Inference Protocol:
 * JSON `data` (REST), binary tensor data (REST extension, gRPC `raw_input_contents`) and typed
 * contents (gRPC `bytes_contents`, `fp32_contents`). Every check names the tensor (and row) at
 * fault, so a client can fix its request from the message alone. Rows are counted from 0.
 */
import { invalidRequest, tooLarge } from '../../errors.js';
import { splitLengthPrefixed } from './tensor-bytes.js';
import { inputShape, type ImageInput, type ModelSignature, type TensorInput } from './signature.js';
import { DATATYPES, type TensorData, type TensorScalar } from './types.js';

/** Rows one request may carry (further capped by MAX_QUEUE, which it could never fit past). */
export const MAX_ROWS_PER_REQUEST = 32;
/** Room for the JSON around the tensor data (names, shape, quotes, commas). */
const ENVELOPE_BYTES = 64 * 1024;

/**
 * Size limit of one request (HTTP body or gRPC message): it may carry as much image data as one
 * /predict upload (MAX_UPLOAD_BYTES), as base64 in JSON (4/3 of the bytes) or raw, so the
 * per-request memory bound stays what operators configured. A batch of images must fit within it.
 */
export const v2BodyLimit = (maxUploadBytes: number): number => Math.ceil(maxUploadBytes / 3) * 4 + ENVELOPE_BYTES;

export interface DecodeLimits {
  /** Rows (images) one request may carry. */
  maxRows: number;
  /** Largest encoded image, as for /predict uploads. */
  maxImageBytes: number;
}

/** How a tensor's elements arrived. */
export type TensorContents =
  | { kind: 'json'; data: TensorData }
  | { kind: 'raw'; bytes: Buffer }
  | { kind: 'bytes'; elements: readonly Buffer[] }
  | { kind: 'fp32'; values: ArrayLike<number> };

/** One request input, whatever the transport. */
export interface InputTensor {
  name: string;
  datatype: string;
  shape: readonly number[];
  contents: TensorContents;
}

export const decodeLimits = (c: { maxQueue: number; maxUploadBytes: number }): DecodeLimits => ({
  maxRows: Math.min(MAX_ROWS_PER_REQUEST, c.maxQueue),
  maxImageBytes: c.maxUploadBytes,
});

export type DecodedInput =
  | { kind: 'images'; name: string; images: Buffer[] }
  | { kind: 'rows'; name: string; rows: Float32Array[] };

export const dims = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function decodeInput(inputs: readonly InputTensor[], s: ModelSignature, limits: DecodeLimits): DecodedInput {
  const takes = `'${s.input.name}' (${s.input.datatype} ${dims(inputShape(s.input))})`;
  const elsewhere = `'${s.other.input}' goes to model '${s.other.name}'`;
  const input = inputs.find((i) => i.name === s.input.name);
  if (input === undefined) {
    const got = inputs.length === 0 ? 'no input' : `input ${inputs.map((i) => `'${i.name}'`).join(', ')}`;
    throw invalidRequest('unknown_input', `model '${s.name}' takes one input, ${takes}; got ${got} (${elsewhere})`);
  }
  const extra = inputs.find((i) => i !== input);
  if (extra !== undefined) {
    throw invalidRequest(extra.name === input.name ? 'duplicate_input' : 'unknown_input', `model '${s.name}' takes one input, ${takes}; '${extra.name}' is one too many (${elsewhere})`);
  }
  checkShapeValues(input);
  return s.input.form === 'image' ? decodeImages(input, s.input, limits) : decodeRows(input, s.input, limits);
}

function checkShapeValues(input: InputTensor): void {
  if (!input.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidRequest('invalid_shape', `input '${input.name}' has shape ${dims(input.shape)}: dimensions must be integers >= 0`);
  }
}

function checkDatatype(input: InputTensor, expected: string): void {
  if (input.datatype === expected) return;
  const known = (DATATYPES as readonly string[]).includes(input.datatype);
  throw invalidRequest(
    'invalid_datatype',
    `input '${input.name}' must have datatype ${expected}, got ${known ? input.datatype : `'${input.datatype}' (not a v2 tensor data type)`}`,
  );
}

function checkBatch(input: InputTensor, limits: DecodeLimits): number {
  const n = input.shape[0];
  if (n === 0) throw invalidRequest('empty_batch', `input '${input.name}' has shape ${dims(input.shape)}: no rows`);
  if (n > limits.maxRows) {
    throw invalidRequest('batch_too_large', `input '${input.name}' has ${n} rows; at most ${limits.maxRows} rows per request`);
  }
  return n;
}

const countMismatch = (input: InputTensor, count: number, total: number): Error =>
  invalidRequest('shape_mismatch', `input '${input.name}' with shape ${dims(input.shape)}: needs ${total} elements, data has ${count}`);

function decodeImages(input: InputTensor, spec: ImageInput, limits: DecodeLimits): DecodedInput {
  checkDatatype(input, spec.datatype);
  const shape = input.shape;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw invalidRequest('invalid_shape', `input '${input.name}' must have shape [N] or [N, 1] (one encoded image per row), got ${dims(shape)}`);
  }
  const n = checkBatch(input, limits);
  const checkSize = (image: Buffer, row: number): Buffer => {
    if (image.length > limits.maxImageBytes) {
      throw tooLarge('image_too_large', `input '${input.name}' row ${row}: the image is ${image.length} bytes; the limit is ${limits.maxImageBytes}`);
    }
    return image;
  };
  const c = input.contents;
  switch (c.kind) {
    case 'json': {
      const images: Buffer[] = [];
      forEachElement({ name: input.name, shape, data: c.data }, (value, row) => {
        if (typeof value !== 'string') {
          throw invalidRequest('invalid_data', `input '${input.name}' row ${row}: BYTES data must be base64 strings, got ${typeof value}`);
        }
        images.push(decodeBase64(value, input.name, row, limits.maxImageBytes));
      });
      return { kind: 'images', name: input.name, images };
    }
    case 'bytes':
      if (c.elements.length !== n) throw countMismatch(input, c.elements.length, n);
      return { kind: 'images', name: input.name, images: c.elements.map(checkSize) };
    case 'raw': {
      const elements = splitLengthPrefixed(c.bytes, n, input.name);
      return { kind: 'images', name: input.name, images: elements.map(checkSize) };
    }
    case 'fp32':
      throw invalidRequest('invalid_data', `input '${input.name}': BYTES data cannot travel as FP32 contents`);
  }
}

function decodeRows(input: InputTensor, spec: TensorInput, limits: DecodeLimits): DecodedInput {
  checkDatatype(input, spec.datatype);
  const shape = input.shape;
  const [h, w, c] = spec.rowDims;
  if (shape.length !== 4 || shape[1] !== h || shape[2] !== w || shape[3] !== c) {
    throw invalidRequest('invalid_shape', `input '${input.name}' must have shape [N, ${h}, ${w}, ${c}] (NHWC), got ${dims(shape)}`);
  }
  const n = checkBatch(input, limits);
  const rowLength = h * w * c;
  const total = n * rowLength;
  const all = new Float32Array(total);
  const contents = input.contents;
  const where = (i: number): string => `element ${i} (row ${Math.floor(i / rowLength)})`;
  const put = (value: number, i: number): void => {
    const f = Math.fround(value);
    // 1e39 is a finite double but not a float: refused rather than fed to the model as Infinity.
    if (!Number.isFinite(f)) throw invalidRequest('non_finite_value', `input '${input.name}': ${where(i)} is ${value}, not a finite FP32 value`);
    all[i] = f;
  };
  switch (contents.kind) {
    case 'json':
      forEachElement({ name: input.name, shape, data: contents.data }, (value, i) => {
        if (typeof value !== 'number') throw invalidRequest('invalid_data', `input '${input.name}': FP32 data must be numbers; ${where(i)} is a ${typeof value}`);
        put(value, i);
      });
      break;
    case 'fp32':
      if (contents.values.length !== total) throw countMismatch(input, contents.values.length, total);
      for (let i = 0; i < total; i++) put(contents.values[i], i);
      break;
    case 'raw': {
      const bytes = contents.bytes;
      if (bytes.length !== total * 4) {
        throw invalidRequest('shape_mismatch', `input '${input.name}' with shape ${dims(shape)}: needs ${total * 4} bytes of FP32 data, got ${bytes.length}`);
      }
      for (let i = 0; i < total; i++) put(bytes.readFloatLE(i * 4), i);
      break;
    }
    case 'bytes':
      throw invalidRequest('invalid_data', `input '${input.name}': FP32 data cannot travel as BYTES contents`);
  }
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
export function forEachElement(input: { name: string; shape: readonly number[]; data: TensorData }, visit: (value: TensorScalar, index: number) => void): void {
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
