/** Logits -> probabilities, in place (numerically stable: the largest logit is subtracted first). */
export function softmaxInPlace(values: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const e = Math.exp(values[i] - max);
    values[i] = e;
    sum += e;
  }
  for (let i = 0; i < values.length; i++) values[i] /= sum;
  return values;
}
