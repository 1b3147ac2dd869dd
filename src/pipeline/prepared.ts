/** What the pipeline hands the service for one model version, and the settings it reads. */
import type { Config, Precision } from '../config/config.js';
import type { ModelDescriptor, NpmModelDescriptor } from '../model/descriptor.js';
import type { ProgressFn } from '../model/fetch.js';
import type { PreprocessorOptions } from '../preprocess/preprocessor.js';
import type { EngineSpec } from './engine-spec.js';

export interface PreparedModel {
  descriptor: ModelDescriptor;
  /** The folder the model was read from (the npm model's cache folder, a model file's folder). */
  dir: string;
  labels: string[];
  engineSpec: EngineSpec;
  /** How uploads become this model's input (also what int8 calibration used). */
  preprocessing: PreprocessorOptions;
  /** Seconds spent fetching (0 when the cache was valid) and converting (0 when the cache had it). */
  fetchSeconds: number;
  convertSeconds: number;
  /** Size of the file the engine loads (the ONNX model; TF.js: model.json + shards), bytes. */
  modelBytes: number;
  /** The precision actually served (an int8 build that could not be made falls back to fp32). */
  precision: Precision;
  /** What is worth telling about how it is served (a precision fallback, an engine substitution...). */
  note?: string;
  /** What serves it, for logs and the repository index: a file path or an npm spec. */
  location: string;
  /** The npm-sourced descriptor, for the built-in model (what `model prepare --serving-only` trims). */
  npm?: NpmModelDescriptor;
}

export interface PrepareHooks {
  onProgress?: ProgressFn;
  log?: (msg: string) => void;
}

export type ModelSettings = Pick<
  Config,
  | 'modelRepository'
  | 'modelPath'
  | 'modelName'
  | 'modelCacheDir'
  | 'modelFetch'
  | 'engine'
  | 'threads'
  | 'precision'
  | 'quantCalibration'
  | 'maxPixels'
  | 'minImageSide'
  | 'resizeMode'
  | 'preprocess'
  | 'labels'
  | 'output'
>;
