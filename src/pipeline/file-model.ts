/**
 * One version of a team's model file -> a PreparedModel: its input (size, layout) from the model,
 * preprocessing from the preset asked (Keras and TF.js default to caffe; ONNX must say), output
 * kind (softmax detected, or OUTPUT), labels, and the file the engine loads (converted and
 * quantized for Keras-family files, as exported for ONNX).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors.js';
import { DEFAULT_BATCHING, type ModelDescriptor, type ModelPlatform, type Preprocessing } from '../model/descriptor.js';
import type { FileModelConfig } from '../model/model-config.js';
import { PRESETS } from '../preprocess/presets.js';
import { preprocessorOptions } from '../preprocess/preprocessor.js';
import { resolveQuantizationPlan } from '../quantize/plan.js';
import { ModelSourceError, type ModelFormat } from '../sources/index.js';
import { BuildCache } from './build-cache.js';
import type { EngineSpec } from './engine-spec.js';
import { buildKerasModel, type KerasFormat } from './keras-build.js';
import { modelLabels, readLabelsFile } from './labels.js';
import { tfjsModelBytes } from './model-bytes.js';
import type { ModelShape } from './model-shape.js';
import { inspectServableOnnx } from './onnx-model.js';
import type { ModelSettings, PreparedModel, PrepareHooks } from './prepared.js';
import type { VersionEntry } from './repository-scan.js';

const PLATFORM: Record<ModelFormat, ModelPlatform> = { 'keras-h5': 'keras-h5', 'keras-v3': 'keras-v3', 'tfjs-layers': 'keras-tfjs-layers', onnx: 'onnx' };
/** When a model accepts any size and model.yaml gives none: the ImageNet classifiers' size. */
const DEFAULT_SIDE = 224;

export function geometry(shape: ModelShape, config: FileModelConfig, file: string, notes: string[]): { height: number; width: number } {
  if (shape.channels !== 3) {
    throw new ModelSourceError('not_image_classifier', file, `the input has ${shape.channels ?? 'unknown'} channels; only 3-channel (RGB) image classifiers can be served`);
  }
  const side = (model: number | null, asked: number | undefined, what: 'height' | 'width'): number => {
    if (model !== null && asked !== undefined && asked !== model) {
      throw new StartupError(`${config.file}: input.${what} ${asked} does not match the model ${file}, which fixes its input ${what} at ${model}`);
    }
    if (model !== null) return model;
    if (asked !== undefined) return asked;
    notes.push(`input ${what} not fixed by the model: ${DEFAULT_SIDE} (set input.${what} in model.yaml)`);
    return DEFAULT_SIDE;
  };
  return { height: side(shape.height, config.input?.height, 'height'), width: side(shape.width, config.input?.width, 'width') };
}

export function preprocessingFor(format: ModelFormat, config: FileModelConfig, height: number, file: string, fromSettings: boolean): Preprocessing {
  if (config.preprocessing) return config.preprocessing;
  const preset = config.preprocess ?? (format === 'onnx' ? undefined : 'caffe');
  if (!preset) {
    const where = fromSettings ? 'PREPROCESS (--preprocess)' : '`preprocess:` in the model folder\'s model.yaml';
    throw new StartupError(`${file}: an ONNX model does not say how its pixels are prepared; set ${where} to caffe, tf or torch (torchvision exports: torch)`);
  }
  // crop: shorter side to 256/224 of the input, centre crop (the ImageNet evaluation protocol).
  const { channelOrder, mean, std } = PRESETS[preset];
  return { channelOrder, mean: [...mean], std: [...std], resize: { mode: 'crop', shorter: Math.round((height * 256) / 224) } };
}

export async function prepareFileVersion(s: ModelSettings, v: VersionEntry, hooks: PrepareHooks = {}): Promise<PreparedModel> {
  if (v.source.kind !== 'file') throw new Error('prepareFileVersion: not a file version');
  const { format, file, config, labelsDirs } = v.source;
  const notes: string[] = [];
  const fromSettings = s.modelPath !== undefined;
  const cache = new BuildCache(s.modelCacheDir, path.join('files', v.name, v.version));
  const useTfjs = s.engine === 'tfjs' && format === 'tfjs-layers';
  if (s.engine === 'tfjs' && !useTfjs) notes.push(`ENGINE=tfjs serves TF.js layers models only; this ${format} model is served by ONNX Runtime`);

  let shape: ModelShape;
  let enginePath: string;
  let precision = config.precision ?? s.precision;
  let convertSeconds = 0;
  const descriptorOf = (layout: ModelShape['layout'], height: number, width: number, pre: Preprocessing, classes: number, activation: 'softmax' | 'none', maxBatch?: number): ModelDescriptor => ({
    name: v.name,
    version: v.version,
    platform: PLATFORM[format],
    description: config.description ?? `${path.basename(file)} (${format})`,
    input: { height, width, channels: 3, layout, datatype: 'FP32' },
    preprocessing: pre,
    output: { classes, activation },
    batching: { ...(config.batching ?? DEFAULT_BATCHING), ...(maxBatch !== undefined ? { maxBatchSize: maxBatch } : {}) },
  });

  if (format === 'onnx') {
    if (config.precision === 'int8') {
      throw new StartupError(`${file}: precision int8 is not available for ONNX models (the quantizer works on Keras/TF.js graphs); quantize the ONNX model yourself (onnxruntime quantize_static) and serve the result, or remove precision: int8`);
    }
    precision = 'fp32';
    shape = await inspectServableOnnx(file);
    enginePath = file;
    notes.push('ONNX model served as exported');
  } else {
    // The int8 plan needs the preprocessing, which needs the input size: known once the meta is.
    let metaShape: ModelShape | undefined;
    const build = await buildKerasModel({
      format: format as KerasFormat,
      file,
      cache,
      onnx: !useTfjs,
      precision,
      log: hooks.log,
      plan: async (meta) => {
        metaShape = kerasShape(meta);
        const { height, width } = geometry(metaShape, config, file, []);
        const d = descriptorOf('NHWC', height, width, preprocessingFor(format, config, height, file, fromSettings), meta.classes, meta.activation);
        return resolveQuantizationPlan(s.quantCalibration, { preprocessing: preprocessorOptions(d, s) });
      },
    });
    shape = metaShape ?? kerasShape(build.meta);
    convertSeconds = build.seconds;
    if (useTfjs) {
      enginePath = file;
      precision = 'fp32';
    } else {
      const served = build.served!;
      enginePath = served.path;
      precision = served.precision;
      if (served.note) notes.push(served.note);
    }
  }

  const { height, width } = geometry(shape, config, file, notes);
  const pre = preprocessingFor(format, config, height, file, fromSettings);
  let classes = shape.classes;
  if (classes === null) {
    // A dynamic class dimension: the configured labels say how many classes there are.
    if (!config.labels) throw new ModelSourceError('not_image_classifier', file, 'the output class count is not fixed by the model; give the labels (LABELS or model.yaml labels:) so their count says it');
    classes = (await readLabelsFile(config.labels)).length;
  }
  const { labels } = await modelLabels({ configured: config.labels, dirs: labelsDirs, classes, model: `${v.name} version ${v.version}`, log: hooks.log });
  const activation = config.output ? (config.output === 'probabilities' ? 'softmax' : 'none') : shape.activation;
  let maxBatch: number | undefined;
  if (shape.fixedBatch !== undefined) {
    if (shape.fixedBatch !== 1) throw new ModelSourceError('unsupported_config', file, `the model fixes its batch size at ${shape.fixedBatch}; export it with batch 1 or a dynamic batch dimension`);
    maxBatch = 1;
    notes.push('batch fixed at 1 by the model: no dynamic batching');
  }
  const descriptor = descriptorOf(shape.layout, height, width, pre, classes, activation, maxBatch);
  const engineSpec: EngineSpec = useTfjs
    ? { engine: 'tfjs', modelJsonPath: enginePath, threads: 1 }
    : { engine: 'onnx', modelPath: enginePath, threads: s.threads, precision, ...(shape.layout === 'NCHW' ? { inputLayout: 'NCHW' as const } : {}) };
  for (const n of notes) hooks.log?.(`${v.name} version ${v.version}: ${n}`);
  return {
    descriptor,
    dir: path.dirname(file),
    labels,
    engineSpec,
    preprocessing: preprocessorOptions(descriptor, s),
    fetchSeconds: 0,
    convertSeconds,
    modelBytes: useTfjs ? await tfjsModelBytes(enginePath) : (await stat(enginePath)).size,
    precision,
    location: file,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}

function kerasShape(meta: { inputShape: (number | null)[]; classes: number; activation: 'softmax' | 'none' }): ModelShape {
  const [, height, width, channels] = meta.inputShape;
  return { layout: 'NHWC', height, width, channels, classes: meta.classes > 0 ? meta.classes : null, activation: meta.activation };
}
