/** 8-bit RGB HWC pixels -> float32 in the model's channel order and layout, `(x - mean) / std`. */
export interface Normalization {
  channelOrder: 'RGB' | 'BGR';
  /** Per channel, in `channelOrder`. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** `NHWC` (default): rows `[H, W, C]`, interleaved; `NCHW`: rows `[C, H, W]`, one plane per channel. */
  layout?: 'NHWC' | 'NCHW';
}

/** Writes `rgb` normalised into `out` from `offset` (a slot of a batch) and returns `out`. */
export function normalize(rgb: Uint8Array, n: Normalization, out: Float32Array = new Float32Array(rgb.length), offset = 0): Float32Array {
  if (out.length < offset + rgb.length) throw new RangeError(`output holds ${out.length - offset} values from ${offset}, need ${rgb.length}`);
  // src[k] is the RGB index feeding output channel k.
  const src = n.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const [s0, s1, s2] = src;
  const [m0, m1, m2] = n.mean;
  const [k0, k1, k2] = n.std.map((s) => 1 / s);
  if (n.layout === 'NCHW') {
    const plane = rgb.length / 3;
    for (let i = 0, p = offset; i < rgb.length; i += 3, p++) {
      out[p] = (rgb[i + s0] - m0) * k0;
      out[p + plane] = (rgb[i + s1] - m1) * k1;
      out[p + 2 * plane] = (rgb[i + s2] - m2) * k2;
    }
    return out;
  }
  for (let i = 0, o = offset; i < rgb.length; i += 3, o += 3) {
    out[o] = (rgb[i + s0] - m0) * k0;
    out[o + 1] = (rgb[i + s1] - m1) * k1;
    out[o + 2] = (rgb[i + s2] - m2) * k2;
  }
  return out;
}
