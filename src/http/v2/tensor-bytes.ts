/**
 * Tensors as raw bytes, as Triton's binary tensor data extension and gRPC's raw contents carry them:
 * little-endian, row-major, no padding; a BYTES element is a 4-byte little-endian length, then its
 * bytes.
 */
import { invalidRequest } from '../../errors.js';

/** Splits 4-byte length-prefixed BYTES elements; exactly `count`, filling `bytes` exactly. */
export function splitLengthPrefixed(bytes: Buffer, count: number, input: string): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length && out.length < count) {
    if (at + 4 > bytes.length) break;
    const length = bytes.readUInt32LE(at);
    if (at + 4 + length > bytes.length) {
      throw invalidRequest('invalid_binary_data', `input '${input}' row ${out.length}: its length prefix says ${length} bytes, only ${bytes.length - at - 4} follow`);
    }
    out.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (out.length !== count || at !== bytes.length) {
    throw invalidRequest(
      'invalid_binary_data',
      `input '${input}': binary BYTES data must be ${count} elements, each a 4-byte little-endian length then its bytes; ` +
        (out.length !== count ? `found ${out.length}` : `${bytes.length - at} bytes left over`),
    );
  }
  return out;
}

export function encodeLengthPrefixed(elements: readonly Buffer[]): Buffer {
  const out = Buffer.allocUnsafe(elements.reduce((n, e) => n + 4 + e.length, 0));
  let at = 0;
  for (const e of elements) {
    out.writeUInt32LE(e.length, at);
    e.copy(out, at + 4);
    at += 4 + e.length;
  }
  return out;
}

/** FP32 values as little-endian bytes (a view when the machine is little-endian, as all targets are). */
export function fp32Bytes(values: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
