/** The model input's value range, from the serving preprocessing. */
import type { PreprocessorOptions } from '../preprocess/preprocessor.js';
import type { Range } from './ranges.js';

/** Every value the model input can take: 8-bit pixels through `(x - mean) / std`, over all channels. */
export function inputRange(p: PreprocessorOptions): Range {
  let min = Infinity;
  let max = -Infinity;
  p.normalization.mean.forEach((m, c) => {
    const s = p.normalization.std[c];
    for (const pixel of [0, 255]) {
      const v = (pixel - m) / s;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  });
  return { min, max };
}
