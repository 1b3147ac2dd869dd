/** Binary tensor data in tests: little-endian FP32, and 4-byte little-endian length-prefixed BYTES elements. */

/** 4-byte little-endian length-prefixed elements (binary BYTES tensors). */
export function lengthPrefixed(elements: readonly Buffer[]): Buffer {
  return Buffer.concat(elements.flatMap((e) => [Buffer.from(new Uint32Array([e.length]).buffer), e]));
}

export function splitLengthPrefixedStrings(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = bytes.readUInt32LE(at);
    out.push(bytes.subarray(at + 4, at + 4 + n).toString());
    at += 4 + n;
  }
  return out;
}

export const floatsOf = (bytes: Buffer): Float32Array => new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

export const floatBytes = (values: ArrayLike<number>): Buffer => Buffer.from(Float32Array.from(values).buffer);

export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}
