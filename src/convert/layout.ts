import type { Dim } from './ir/types.js';

/**
 * A Keras tensor as materialised in the ONNX graph. `shape` is the Keras
 * (channels-last) shape; the ONNX tensor `name` holds it transposed by
 * `perm`: ONNX axis i is Keras axis perm[i]. So NHWC data kept as NCHW has
 * perm [0, 3, 1, 2]. Handlers reason in Keras axes and only pick a physical
 * layout where an op needs one (convolutions: channels-first).
 */
export interface KTensor {
  name: string;
  shape: Dim[];
  perm: number[];
}

export function identityPerm(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

/** [0, r-1, 1, ..., r-2]: Keras channels-last -> ONNX channels-first. Identity below rank 3. */
export function channelsFirstPerm(rank: number): number[] {
  if (rank < 3) return identityPerm(rank);
  return [0, rank - 1, ...identityPerm(rank - 2).map((i) => i + 1)];
}

export function samePerm(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Shape of the ONNX tensor backing `t`. */
export function onnxShape(t: KTensor): Dim[] {
  return t.perm.map((a) => t.shape[a]);
}

/** Transpose attribute taking a tensor stored with `from` to one stored with `to`. */
export function transposeBetween(from: number[], to: number[]): number[] {
  return to.map((a) => from.indexOf(a));
}

/** Normalise a possibly negative Keras axis. */
export function kerasAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** ONNX axis of `t` that holds Keras axis `axis`. */
export function onnxAxis(t: KTensor, axis: number): number {
  return t.perm.indexOf(kerasAxis(axis, t.shape.length));
}
