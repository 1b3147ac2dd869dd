/**
 * The arithmetic of linear quantization as ONNX QuantizeLinear/DequantizeLinear define it:
 * real = (q - zeroPoint) * scale. Scales are float32 in the model, so every scale is rounded to
 * float32 here before anything is derived from it (the int32 bias scale must be exactly the product
 * ORT computes at run time).
 */

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/** Activations: uint8, asymmetric (U8S8 is MLAS's fast path on x86, VNNI or not). */
export const UINT8_MIN = 0;
export const UINT8_MAX = 255;
/** Weights: int8 symmetric on the restricted range [-127, 127], zero point 0 (as ORT's quantizer). */
export const INT8_SYMMETRIC_MAX = 127;
export const INT32_MAX = 2 ** 31 - 1;

/** Round half to even, like numpy.round and ONNX QuantizeLinear (not Math.round's half-up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * uint8 parameters for real values in [min, max]. The range is widened to contain 0 so that 0
 * (ReLU output, zero padding) is exactly representable; a degenerate range gets scale 1.
 */
export function activationParams(min: number, max: number): QuantParams {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new RangeError(`invalid activation range [${min}, ${max}]`);
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (hi === lo) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / (UINT8_MAX - UINT8_MIN));
  const zeroPoint = clamp(roundHalfEven(UINT8_MIN - lo / scale), UINT8_MIN, UINT8_MAX);
  return { scale, zeroPoint };
}

/** QuantizeLinear to uint8 (saturating). */
export function quantizeU8(x: number, p: QuantParams): number {
  return clamp(roundHalfEven(x / p.scale) + p.zeroPoint, UINT8_MIN, UINT8_MAX);
}

export function dequantize(q: number, p: QuantParams): number {
  return (q - p.zeroPoint) * p.scale;
}

export interface PerChannelInt8 {
  values: Int8Array;
  /** One float32 scale per channel along `axis`; zero points are all 0. */
  scales: Float32Array;
}

/**
 * Symmetric per-channel int8: scale[c] = max|w[c]| / 127, q = round(w / scale[c]).
 * `axis` is the channel axis of a row-major tensor with `dims` (0 for Conv [Cout, Cin, kh, kw],
 * 1 for Gemm B [K, N]). An all-zero channel gets scale 1 (any scale represents it exactly).
 */
export function quantizePerChannel(w: ArrayLike<number>, dims: readonly number[], axis: number): PerChannelInt8 {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const count = dims.reduce((a, b) => a * b, 1);
  if (w.length !== count) throw new RangeError(`weights have ${w.length} values for dims [${dims}]`);
  const absMax = new Float64Array(channels);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(i / inner) % channels;
    const a = Math.abs(w[i]);
    if (a > absMax[c]) absMax[c] = a;
  }
  const scales = Float32Array.from(absMax, (m) => (m > 0 ? m / INT8_SYMMETRIC_MAX : 1));
  return { values: requantizePerChannel(w, dims, axis, scales), scales };
}

/** int8 values for given per-channel scales (clamped to the symmetric range). */
export function requantizePerChannel(w: ArrayLike<number>, dims: readonly number[], axis: number, scales: Float32Array): Int8Array {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = clamp(roundHalfEven(w[i] / scales[c]), -INT8_SYMMETRIC_MAX, INT8_SYMMETRIC_MAX);
  }
  return out;
}

/** Bias scale per output channel: input scale x weight scale, computed in float32 as ORT does. */
export function biasScales(inputScale: number, weightScales: Float32Array): Float32Array {
  return weightScales.map((s) => Math.fround(Math.fround(inputScale) * s));
}

/**
 * int32 bias, zero point 0. A bias too large for int32 at the given scale (only possible with a
 * near-zero weight channel) cannot be represented: the caller widens that channel's weight scale,
 * see `fitBiasScales`.
 */
export function quantizeBias(bias: ArrayLike<number>, inputScale: number, weightScales: Float32Array): Int32Array {
  const scales = biasScales(inputScale, weightScales);
  return Int32Array.from(bias, (b, c) => clamp(roundHalfEven(b / scales[c]), -INT32_MAX, INT32_MAX));
}

/**
 * Weight scales widened where needed so that every bias fits int32 with headroom (ORT's quantizer
 * does the same); returns the input array when nothing changes.
 */
export function fitBiasScales(bias: ArrayLike<number>, inputScale: number, weightScales: Float32Array): Float32Array {
  const limit = INT32_MAX / 2;
  let out = weightScales;
  for (let c = 0; c < weightScales.length; c++) {
    const need = Math.abs(bias[c]) / (Math.fround(inputScale) * limit);
    if (weightScales[c] < need) {
      if (out === weightScales) out = Float32Array.from(weightScales);
      out[c] = Math.fround(need);
    }
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
