/** Host-side helpers for rearranging constant float tensors (weights). */

export interface FloatArray {
  dims: number[];
  data: Float32Array;
}

function strides(dims: number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/** numpy.transpose(data, perm): output axis i is input axis perm[i]. */
export function transposeArray(src: FloatArray, perm: number[]): FloatArray {
  const { dims, data } = src;
  if (perm.length !== dims.length) throw new Error(`transpose: perm [${perm}] does not fit dims [${dims}]`);
  const outDims = perm.map((p) => dims[p]);
  const inStrides = strides(dims);
  const walk = perm.map((p) => inStrides[p]); // input stride per output axis
  const out = new Float32Array(data.length);
  const rank = outDims.length;
  const idx = new Array<number>(rank).fill(0);
  let inOff = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[inOff];
    // odometer increment over the output index, tracking the input offset
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      inOff += walk[a];
      if (idx[a] < outDims[a]) break;
      inOff -= walk[a] * outDims[a];
      idx[a] = 0;
    }
  }
  return { dims: outDims, data: out };
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
