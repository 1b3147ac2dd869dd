/**
 * The preprocessing the server applies (descriptor + RESIZE_MODE + limits from the environment),
 * for callers of the quantization plan that do not pass it explicitly (`prepareModel`).
 */
import { loadConfig } from '../config/config.js';
import { readDescriptor } from '../model/descriptor.js';
import { preprocessorOptions, type PreprocessorOptions } from '../preprocess/preprocessor.js';
import type { Range } from './ranges.js';

export async function servingPreprocessing(env: Record<string, string | undefined> = process.env): Promise<PreprocessorOptions> {
  const c = loadConfig(env);
  const d = await readDescriptor(c.modelRepository, c.modelName);
  return preprocessorOptions(d, { maxPixels: c.maxPixels, minSide: c.minImageSide }, c.resizeMode);
}

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
