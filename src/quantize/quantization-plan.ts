/**
 * What an int8 build is made of: how activation ranges are calibrated, which layers stay fp32 and
 * the serving preprocessing. Plain data: `plan.ts` makes it from the settings, `quantize-model.ts`
 * builds from it, and neither needs the other.
 */
import type { PreprocessorOptions } from '../preprocess/preprocessor.js';
import type { ImageCalibrationParams } from './calibrate-images.js';
import type { LayerPolicy } from './select.js';

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
