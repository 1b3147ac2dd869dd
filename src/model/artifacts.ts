/**
 * Reads a cached TF.js layers model (model.json + weight shards) and its labels from disk.
 * The result is structurally a `tf.io.ModelArtifacts`, without importing TF.js (the ONNX path must
 * not pay for loading it).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors.js';
import type { ModelDescriptor } from './descriptor.js';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

export interface LayersModelArtifacts {
  modelTopology: Record<string, unknown>;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

interface ModelJson {
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

export async function readLayersModel(modelJsonPath: string): Promise<LayersModelArtifacts> {
  const dir = path.dirname(modelJsonPath);
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
  } catch (err) {
    throw new StartupError(`cannot read model ${modelJsonPath}: ${(err as Error).message}`, { cause: err });
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new StartupError(`${modelJsonPath} is not a TF.js layers model (no modelTopology/weightsManifest)`);
  }
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) shards.push(await readFile(path.join(dir, p)));
  }
  const all = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    // A standalone ArrayBuffer: TF.js and the converter index it from offset 0.
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
}

/** Labels as an index-ordered array; accepts `{"0": "tench", ...}` or `["tench", ...]`. */
export async function readLabels(file: string, d: ModelDescriptor): Promise<string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new StartupError(`cannot read labels ${file}: ${(err as Error).message}`, { cause: err });
  }
  const labels: string[] = Array.isArray(parsed)
    ? parsed.map(String)
    : Array.from({ length: d.output.classes }, (_, i) => String((parsed as Record<string, unknown>)[String(i)] ?? ''));
  if (labels.length !== d.output.classes || labels.some((l) => l === '')) {
    throw new StartupError(`labels ${file}: expected ${d.output.classes} non-empty labels`);
  }
  return labels;
}
