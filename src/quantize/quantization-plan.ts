/**
 * What an int8 build is made of: how activation ranges are calibrated, which layers stay fp32 and
 * the serving preprocessing. Plain data: `plan.ts` makes it from the settings, `quantize-model.ts`
 * builds from it, and neither needs the other (nor does the command line to name the methods).
 */
import type { PreprocessorOptions } from '../preprocess/preprocessor.js';
import type { LayerPolicy } from './select.js';

export const IMAGE_METHODS = ['minmax', 'percentile', 'entropy'] as const;
export type ImageMethod = (typeof IMAGE_METHODS)[number];

export interface ImageCalibrationParams {
  method: ImageMethod;
  /** percentile method: share of values kept. */
  percentile: number;
  /** Histogram bins (percentile, entropy). */
  bins: number;
}

export const DEFAULT_IMAGE_PARAMS: Omit<ImageCalibrationParams, 'method'> = { percentile: 99.999, bins: 2048 };

export const DEFAULT_IMAGE_METHOD: ImageMethod = 'percentile';

export interface DataFreeCalibration {
  kind: 'data-free';
  k: number;
}

export interface ImageCalibration {
  kind: 'images';
  folder: string;
  files: string[];
  params: ImageCalibrationParams;
}

export interface QuantizationPlan {
  /** How activation ranges are calibrated: `data-free-bn`, `minmax`, `percentile` or `entropy`. */
  method: string;
  /** Stable identity of method, parameters and calibration data: part of the ONNX cache key. */
  fingerprint: string;
  calibration: DataFreeCalibration | ImageCalibration;
  layers: LayerPolicy;
  /** The serving preprocessing: the input's value range, and how calibration images are prepared. */
  preprocessing: PreprocessorOptions;
}
