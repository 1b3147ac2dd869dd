import type { Dim } from '../ir/types.js';

/** Output size of a conv/pool window along one axis (TF semantics). */
export function windowOutputDim(input: Dim, kernel: number, stride: number, dilation: number, padding: string): Dim {
  if (typeof input !== 'number') return null;
  const span = (kernel - 1) * dilation + 1;
  if (padding === 'same') return Math.ceil(input / stride);
  return Math.floor((input - span) / stride) + 1;
}

/** TF 'same' padding along one axis: total split with the extra element at the end. */
export function tfSamePads(input: number, kernel: number, stride: number, dilation: number): [number, number] {
  const span = (kernel - 1) * dilation + 1;
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + span - input, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * ONNX pads [top, left, bottom, right] for a 2-D window op on an NHWC-shaped
 * tensor, or null when H/W are unknown. Explicit pads match
 * TF exactly; when H/W are not static we fall back to auto_pad SAME_UPPER,
 * which puts the extra element at the end like TF.
 */
export function pads2d(shape: Dim[], kernel: [number, number], strides: [number, number], dilation: [number, number], padding: string): number[] | null {
  if (padding === 'valid') return [0, 0, 0, 0];
  const [h, w] = [shape[1], shape[2]];
  if (typeof h !== 'number' || typeof w !== 'number') return null;
  const [t, b] = tfSamePads(h, kernel[0], strides[0], dilation[0]);
  const [l, r] = tfSamePads(w, kernel[1], strides[1], dilation[1]);
  return [t, l, b, r];
}
