/**
 * Calibration from the user's images: each image is preprocessed exactly as the server does, the
 * fp32 model runs over them with ONNX Runtime, and each quantized tensor's range is taken from what
 * it really holds:
 *   minmax     - the extreme values seen (one pass);
 *   percentile - the central `percentile` % of all values (two passes: range, then histogram);
 *   entropy    - the window that minimises KL divergence after 8-bit quantization (two passes).
 */
import { readFile } from 'node:fs/promises';
import type { IrModel } from '../convert/index.js';
import { ImagePreprocessor, type PreprocessorOptions } from '../preprocess/preprocessor.js';
import { entropyRange, histogramFor, percentileRange, type Histogram } from './histogram.js';
import { observeTensors, type InputBatch } from './observe.js';
import type { ImageCalibrationParams } from './quantization-plan.js';
import { rangeOf, union, type RangeMap } from './ranges.js';

/** Preprocessed images, `batchSize` at a time, in file order. */
export function imageBatches(files: readonly string[], preprocessing: PreprocessorOptions, batchSize = 2): () => AsyncIterable<InputBatch> {
  const pre = new ImagePreprocessor(preprocessing);
  const { height, width } = preprocessing.geometry;
  return async function* () {
    for (let i = 0; i < files.length; i += batchSize) {
      const chunk = files.slice(i, i + batchSize);
      const data = new Float32Array(chunk.length * pre.rowLength);
      for (const [j, file] of chunk.entries()) {
        try {
          (await pre.decode(await readFile(file))).row.writeTo(data, j * pre.rowLength);
        } catch (err) {
          throw new Error(`calibration image ${file}: ${(err as Error).message}`, { cause: err });
        }
      }
      yield { data, dims: [chunk.length, height, width, 3] };
    }
  };
}

/** Ranges of `tensors` observed over `batches` with the given method. */
export async function observedRanges(
  model: IrModel,
  tensors: readonly string[],
  batches: () => AsyncIterable<InputBatch>,
  params: ImageCalibrationParams,
  threads = 2,
): Promise<RangeMap> {
  const extremes: RangeMap = new Map();
  await observeTensors(model, tensors, batches, (t, values) => extremes.set(t, union(extremes.get(t), rangeOf(values))), threads);
  if (params.method === 'minmax') return extremes;

  const histograms = new Map<string, Histogram>();
  for (const t of tensors) histograms.set(t, histogramFor(extremes.get(t)!, params.bins));
  await observeTensors(model, tensors, batches, (t, values) => histograms.get(t)!.add(values), threads);
  const ranges: RangeMap = new Map();
  for (const t of tensors) {
    const h = histograms.get(t)!;
    const observed = extremes.get(t)!;
    ranges.set(t, params.method === 'percentile' ? percentileRange(h, observed, params.percentile) : entropyRange(h, observed));
  }
  return ranges;
}
