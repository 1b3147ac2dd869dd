/**
 * How the int8 model is built (MODEL_PRECISION=int8), from QUANT_CALIBRATION:
 *   `data-free`          activation ranges from the BatchNorm statistics (no images needed);
 *   `<folder>`           ranges observed on the images in the folder, default method;
 *   `<method>:<folder>`  the same with minmax, percentile or entropy.
 * The plan's fingerprint keys the ONNX cache: it changes with the quantizer, the method and its
 * parameters, the layers kept fp32, the preprocessing and (for images) the images' contents.
 */
import { createHash } from 'node:crypto';
import type { PreprocessorOptions } from '../preprocess/preprocessor.js';
import { readCalibrationSet, type CalibrationSet } from './calibration-set.js';
import { inputRange } from './input-range.js';
import { DEFAULT_IMAGE_METHOD, DEFAULT_IMAGE_PARAMS, IMAGE_METHODS, type ImageCalibrationParams, type ImageMethod, type QuantizationPlan } from './quantization-plan.js';
import type { LayerPolicy } from './select.js';

/** Bump when the quantizer's output for the same inputs changes: it is part of every fingerprint. */
export const QUANTIZER_VERSION = '1';
/** Range = BN mean +- k BN std per channel; k chosen by measurement (see README). */
export const DATA_FREE_K = 7;
/** Which layers stay fp32 (measured: see README). */
export const DEFAULT_LAYERS: LayerPolicy = { firstConv: 'int8', classifier: 'int8' };

export interface PlanOptions {
  /** The serving preprocessing (descriptor + RESIZE_MODE): calibration images go through it. */
  preprocessing: PreprocessorOptions;
  /** Image method when the setting names none. */
  method?: ImageMethod;
  layers?: LayerPolicy;
  /** Data-free k. */
  k?: number;
}

function fingerprint(parts: object): string {
  return createHash('sha256').update(JSON.stringify({ quantizer: QUANTIZER_VERSION, ...parts })).digest('hex').slice(0, 16);
}

/** Splits `minmax:/data/cal` into method and folder; a plain folder gets `fallback`. */
export function parseCalibrationSetting(setting: string, fallback: ImageMethod): { method: ImageMethod; folder: string } {
  const m = /^([a-z]+):(.+)$/.exec(setting);
  const named = m ? IMAGE_METHODS.find((x) => x === m[1]) : undefined;
  return named && m ? { method: named, folder: m[2] } : { method: fallback, folder: setting };
}

/** A plan for data-free calibration (no I/O beyond what `options` lacks). */
export async function dataFreePlan(options: PlanOptions): Promise<QuantizationPlan> {
  const preprocessing = options.preprocessing;
  const layers = options.layers ?? DEFAULT_LAYERS;
  const k = options.k ?? DATA_FREE_K;
  const method = 'data-free-bn';
  return { method, fingerprint: fingerprint({ method, k, layers, input: inputRange(preprocessing) }), calibration: { kind: 'data-free', k }, layers, preprocessing };
}

/** A plan calibrating on the given images (the folder form, and tests with explicit splits). */
export function imagePlan(
  set: Pick<CalibrationSet, 'folder' | 'files' | 'digest'>,
  method: ImageMethod,
  preprocessing: PreprocessorOptions,
  layers: LayerPolicy = DEFAULT_LAYERS,
): QuantizationPlan {
  const params: ImageCalibrationParams = { method, ...DEFAULT_IMAGE_PARAMS };
  const { geometry, normalization } = preprocessing;
  return {
    method,
    fingerprint: fingerprint({ method, params, layers, geometry, normalization, images: set.digest }),
    calibration: { kind: 'images', folder: set.folder, files: set.files, params },
    layers,
    preprocessing,
  };
}

export async function resolveQuantizationPlan(setting: string, options: PlanOptions): Promise<QuantizationPlan> {
  if (setting.trim() === '' || setting === 'data-free') return dataFreePlan(options);
  const { method, folder } = parseCalibrationSetting(setting, options.method ?? DEFAULT_IMAGE_METHOD);
  const set = await readCalibrationSet(folder, setting);
  return imagePlan(set, method, options.preprocessing, options.layers);
}
